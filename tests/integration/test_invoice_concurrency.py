"""Invoices under concurrency on DynamoDB Local (moto does not serialise conflicting writes the
way DynamoDB does): overlapping requests never put an order on two invoices, and two workers on
one invoice never produce two numbers or two mails."""
from __future__ import annotations

import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.errors import Conflict, RuleViolation
from chalicelib.services.invoices import work as invoice_work, requests as invoices
from chalicelib.store.invoices import invoices as store
from chalicelib.store.orders.orders import OrderModel
from devstack import seeding
from devstack.invoicing import sellers_setting
from tests.conftest import add_secrets, reset_caches
from tests.unit.invoice_fixtures import (APP_KEY, APP_SECRET, PERSONAL_TITLE,  # noqa: F401
                                         STATION, configure_issuer, fuelled_order,
                                         issuer_server, new_user, smtp_sink)

pytestmark = pytest.mark.slow
EMAIL = "race@example.com"


@pytest.fixture
def local_invoicing(real_dynamodb, issuer_server, smtp_sink, base_environment, monkeypatch):
    """DynamoDB Local for the tables; the issuer and mail sandboxes; storage and queue in
    memory (this tier has no S3 or SQS)."""
    configure_issuer(issuer_server.url)
    add_secrets(base_environment, invoice_app_key=APP_KEY, invoice_app_secret=APP_SECRET,
                file_link_signing_key="integration-file-link-signing-key-32-bytes")
    for key, value in {"INVOICE_API_URL": issuer_server.url, "SMTP_HOST": smtp_sink.host,
                       "SMTP_PORT": str(smtp_sink.port), "SMTP_TLS": "none",
                       "INVOICE_SELLER_TAX_IDS": sellers_setting([STATION["payee"]])}.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    from chalicelib.providers import storage
    from chalicelib.store.stations.stations import put_station

    put_station(seeding.station_from_seed(STATION))
    objects: dict[str, bytes] = {}
    monkeypatch.setattr(storage, "put_file", lambda key, data, name: objects.__setitem__(key, data))
    monkeypatch.setattr(storage, "presigned_get", lambda key, ttl: f"https://files.test/{key}")
    monkeypatch.setattr(invoices, "enqueue", lambda invoice_id, fresh=False: None)
    return smtp_sink.outbox


def _attempt(user: str, order_ids: list[str]) -> str | None:
    try:
        return invoices.request_invoice(user, order_ids, PERSONAL_TITLE, EMAIL).id
    except (RuleViolation, Conflict):
        return None


def test_twenty_concurrent_overlapping_requests_leave_each_order_on_one_invoice(local_invoicing):
    user = new_user()
    orders = [fuelled_order(user) for _ in range(10)]
    rng = random.Random(6)
    requests = [rng.sample(orders, rng.randint(2, 4)) for _ in range(20)]
    start = threading.Barrier(20)

    def request(order_ids):
        start.wait()
        return _attempt(user, order_ids)

    with ThreadPoolExecutor(max_workers=20) as pool:
        created = [i for i in pool.map(request, requests) if i]

    assert created, "at least one request must win"
    covered = [order_id for invoice_id in created
               for order_id in store.get_invoice(invoice_id).order_ids]
    assert len(covered) == len(set(covered))              # no order on two invoices
    for order_id in orders:
        owner = OrderModel.get(order_id, consistent_read=True).invoice_id
        assert (owner is None) == (order_id not in covered)
        if owner:
            assert order_id in store.get_invoice(owner).order_ids


def test_two_workers_on_one_invoice_give_one_number_and_one_mail(local_invoicing):
    user = new_user()
    invoice_id = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE,
                                          f"{uuid.uuid4().hex[:8]}@example.com").id
    address = store.get_invoice(invoice_id).email
    start = threading.Barrier(4)

    def work(_):
        start.wait()
        return invoice_work.advance(invoice_id)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))
    invoice_work.advance(invoice_id)

    invoice = store.get_invoice(invoice_id)
    assert invoice.status == "ISSUED" and invoice.mails_sent == 1
    mails = local_invoicing.find(address)
    assert len(mails) == 1 and invoice.number in mails[0]["text"]
