"""The devstack's invoice parts: seller tax ids that pass the USCC check, and the outbox API."""
from __future__ import annotations

import requests
from stdnum.cn import uscc

from devstack import seed
from devstack.invoicing import sandbox_tax_id
from devstack.sandboxes.mail import Outbox, create_app
from devstack.servers import serve


def test_every_seeded_payee_gets_a_valid_distinct_tax_id():
    payees = {station["payee"] for station in seed.load_stations()}
    ids = {sandbox_tax_id(payee) for payee in payees}
    assert len(ids) == len(payees) and all(uscc.is_valid(i) for i in ids)


def test_outbox_lists_mail_per_address_and_refuses_bad_failure_settings():
    outbox = Outbox()
    outbox.add({"to": "A@example.com", "subject": "s", "text": "t", "links": [], "sent_at": "x"})
    running = serve(create_app(outbox))
    try:
        found = requests.get(f"{running.url}/outbox", params={"to": "a@example.com"}, timeout=5)
        other = requests.get(f"{running.url}/outbox", params={"to": "b@example.com"}, timeout=5)
        bad = requests.post(f"{running.url}/sandbox/config", json={"fail_code": 200}, timeout=5)
    finally:
        running.stop()
    assert [m["subject"] for m in found.json()["items"]] == ["s"]
    assert other.json() == {"items": []} and bad.status_code == 400
