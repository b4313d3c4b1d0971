"""A driver pays and is confirmed for a fill, asks for an e-invoice, and finds it in their mail:
everything over HTTP against the running local stack (API, worker, WeChat Pay and issuer
sandboxes, SMTP sink with its outbox, S3 on moto)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.e2e.conftest import (driver_token, eventually, fire_schedule, queues_drained,
                                staff_token)

# A farmers' cooperative: its code starts with N (农业农村), valid under GB 32100.
COMPANY = {"type": "company", "name": "太原市示例农机专业合作社", "tax_id": "N2140100MA0GRX7Q1J"}


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def fuelled_order(stack, token: str) -> dict:
    """Create an order at the attendant's station, pay it in the sandbox, have it confirmed."""
    api = stack["api_url"]
    staff, account = staff_token(stack, "attendant")
    station_id = account["station_ids"][0]
    station = requests.get(f"{api}/v1/stations/{station_id}", timeout=10).json()
    nozzle = station["nozzles"][0]["no"]
    created = requests.post(f"{api}/v1/orders", headers={**_bearer(token),
                                                         "Idempotency-Key": uuid.uuid4().hex},
                            json={"station_id": station_id, "nozzle_no": nozzle,
                                  "amount_fen": 20000, "pay_method": "wechatpay"}, timeout=15)
    assert created.status_code == 201, created.text
    order_id = created.json()["order"]["id"]
    prepay_id = created.json()["payment"]["package"].removeprefix("prepay_id=")
    paid = requests.post(f"{stack['wechatpay_url']}/sandbox/pay", json={"prepay_id": prepay_id},
                         timeout=10)
    assert paid.status_code == 200, paid.text
    eventually(lambda: requests.get(f"{api}/v1/orders/{order_id}", headers=_bearer(token),
                                    timeout=10).json(),
               lambda order: order["status"] == "PAID", timeout_s=60)
    confirmed = requests.post(f"{api}/v1/staff/orders/{order_id}/confirm", json={},
                              headers=_bearer(staff), timeout=15)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "FUELLED"
    return confirmed.json()


def _amz_date(url: str) -> datetime:
    stamp = parse_qs(urlsplit(url).query)["X-Amz-Date"][0]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


@pytest.mark.slow
def test_driver_requests_an_invoice_and_downloads_the_platforms_files_from_the_mail(stack, api):
    token = driver_token(stack, f"o-e2e-invoice-{uuid.uuid4().hex}")
    order = fuelled_order(stack, token)
    email = f"fleet-{uuid.uuid4().hex[:10]}@example.com"

    requested = requests.post(f"{api}/v1/invoices", headers=_bearer(token), timeout=15,
                              json={"order_ids": [order["id"]], "title": COMPANY, "email": email})
    assert requested.status_code == 202, requested.text
    assert requested.json()["status"] == "REQUESTED"
    assert requested.json()["total_fen"] == order["pay_amount_fen"] - order["refunded_fen"]

    outbox = eventually(lambda: requests.get(stack["mail_outbox_url"], params={"to": email},
                                             timeout=5).json()["items"], bool, timeout_s=60)
    mailed_at = datetime.now(timezone.utc)
    invoice = requests.get(f"{api}/v1/invoices/{requested.json()['id']}",
                           headers=_bearer(token), timeout=10).json()
    issued = requests.get(f"{stack['invoice_url']}/sandbox/invoices/{invoice['number']}",
                          timeout=10).json()
    platform_pdf = requests.get(issued["pdfUrl"], timeout=10).content
    platform_ofd = requests.get(issued["ofdUrl"], timeout=10).content
    pdf_link, ofd_link = dict.fromkeys(outbox[0]["links"])   # in order, each once

    assert invoice["status"] == "ISSUED" and len(invoice["number"]) == 20
    assert invoice["number"] in outbox[0]["subject"] and invoice["number"] in outbox[0]["text"]
    # What the platform received: the seller's drawer, a serial that fits, the line's code.
    assert issued["order"]["clerk"] and len(issued["orderNo"]) <= 20
    assert issued["order"]["buyerTaxNum"] == COMPANY["tax_id"]
    assert issued["order"]["invoiceDetail"][0]["goodsCode"].startswith("1070101")
    # The mail links to our own route, never to a presigned URL that dies with its credentials.
    assert all(link.startswith(f"{api}/v1/invoice-files/") and "X-Amz" not in link
               for link in (pdf_link, ofd_link))
    first = requests.get(pdf_link, timeout=10, allow_redirects=False)
    assert first.status_code == 302
    assert requests.get(first.headers["Location"], timeout=10).content == platform_pdf
    assert requests.get(ofd_link, timeout=10).content == platform_ofd
    assert platform_pdf.startswith(b"%PDF") and invoice["number"].encode() in platform_pdf
    # The URL the mail leads to is signed when the link is followed (after the mail was sent),
    # for minutes only, with whatever credentials the API holds then; the rotation itself is
    # tests/unit/jobs/test_invoice_platform.py (the stack's moto does not check credentials).
    second = requests.get(pdf_link, timeout=10, allow_redirects=False)
    assert _amz_date(second.headers["Location"]) >= mailed_at.replace(microsecond=0)
    assert int(parse_qs(urlsplit(second.headers["Location"]).query)["X-Amz-Expires"][0]) <= 300
    assert requests.get(second.headers["Location"], timeout=10).content == platform_pdf
    forged = requests.get(pdf_link[:-4] + "AAAA", timeout=10, allow_redirects=False)
    assert (forged.status_code, forged.json()["code"]) == (403, "INVALID_LINK")

    assert requests.get(invoice["pdf_url"], timeout=10).content == platform_pdf
    again = requests.post(f"{api}/v1/invoices", headers=_bearer(token), timeout=15,
                          json={"order_ids": [order["id"]], "title": COMPANY, "email": email})
    assert (again.status_code, again.json()["code"]) == (422, "ALREADY_INVOICED")
    fire_schedule(stack, "invoice_sweeper")   # two sweeps later, with all they set off done,
    fire_schedule(stack, "invoice_sweeper")
    queues_drained(stack)
    assert len(requests.get(stack["mail_outbox_url"], params={"to": email},  # still one mail
                            timeout=5).json()["items"]) == 1


def test_devstack_json_names_the_issuer_and_the_mail_outbox(stack):
    assert requests.get(f"{stack['invoice_url']}/sandbox/config", timeout=5).status_code == 200
    assert requests.get(stack["mail_outbox_url"], params={"to": "nobody@example.com"},
                        timeout=5).json() == {"items": []}
