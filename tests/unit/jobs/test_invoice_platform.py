"""What the worker asks of the e-invoice platform and what a driver gets from it: the request
the issuer sandbox received (codes, litres, drawer, serial), the platform's own files copied and
mailed behind links that outlive the signing credentials, 签章失败 re-issued, and a red-letter
reversal with its own files and mail."""
from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from chalicelib.domain.invoices import flow
from chalicelib.domain.invoices.title import uscc_check_character
from chalicelib.jobs import invoices as jobs
from chalicelib.services.invoices import requests as invoices
from chalicelib.store.invoices import invoices as store
from chalicelib.store.orders.orders import OrderModel
from devstack.invoicing import DRAWER, sandbox_tax_id
from tests.unit.invoice_fixtures import (PERSONAL_TITLE, STATION, clock, fuelled_order,  # noqa: F401
                                         invoicing, issuer_server, new_user, smtp_sink)
from tests.unit.jobs.test_invoice_jobs import EMAIL, deliver, message_id, requested, sweep


@pytest.fixture(autouse=True)
def one_record_at_a_time(monkeypatch):
    monkeypatch.setattr(jobs, "MAX_PARALLEL", 1)


def accepted_order(invoicing, invoice_id: str) -> dict:
    serial = store.get_invoice(invoice_id).issuer_serial
    answer = requests.get(f"{invoicing.issuer_url}/sandbox/orders/{serial}", timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()["order"]


def issued(invoicing, **order) -> tuple[str, store.Invoice]:
    user, invoice_id = requested(invoicing, **order)
    assert deliver((message_id(), invoice_id)) == []
    return user, store.get_invoice(invoice_id)


@pytest.mark.parametrize("grade, code, litres", [
    ("0", "1070101030100000000", "41.5"),    # 车用柴油, never 航空煤油 1070101020100000000
    ("95", "1070101010100000000", "30.12"),  # 车用汽油
])
def test_each_grade_reaches_the_platform_with_its_tax_code_and_litres(invoicing, grade, code,
                                                                      litres):
    _, invoice = issued(invoicing, grade=grade, liters_ml=int(float(litres) * 1000))

    (line,) = accepted_order(invoicing, invoice.id)["invoiceDetail"]
    assert (line["goodsCode"], line["unit"], line["num"]) == (code, "升", litres)
    assert line["zeroRateFlag"] == "" and invoice.status == "ISSUED"


def test_the_request_names_the_sellers_drawer_under_a_serial_that_fits(invoicing):
    _, invoice = issued(invoicing)

    order = accepted_order(invoicing, invoice.id)
    assert order["clerk"] == DRAWER and len(order["orderNo"]) <= 20
    assert order["orderNo"] == invoice.issuer_serial == flow.issuer_serial(invoice.id)
    assert order["salerTaxNum"] == sandbox_tax_id(STATION["payee"])


def test_a_seller_without_a_drawer_fails_the_invoice_visibly_and_frees_its_orders(
        invoicing, monkeypatch, caplog):
    from tests.conftest import reset_caches
    monkeypatch.setenv("INVOICE_SELLER_TAX_IDS",
                       json.dumps({STATION["payee"]: sandbox_tax_id(STATION["payee"])}))
    reset_caches()
    _, invoice_id = requested(invoicing)

    deliver((message_id(), invoice_id))

    invoice = store.get_invoice(invoice_id)
    assert (invoice.status, invoice.fail_code) == ("FAILED", "SELLER_NOT_CONFIGURED")
    assert OrderModel.get(invoice.order_ids[0]).invoice_id is None
    assert any(r.levelname == "ERROR" and "drawer" in r.getMessage() for r in caplog.records)
    serial = invoice.issuer_serial
    assert requests.get(f"{invoicing.issuer_url}/sandbox/orders/{serial}",
                        timeout=5).status_code == 404


def test_a_company_whose_code_starts_with_n_gets_its_invoice(invoicing):
    body = "N2140100MA0GRX7Q1"
    title = {"type": "company", "name": "太原市示例农机专业合作社", "tax_id": body +
             uscc_check_character(body)}
    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], title, EMAIL)
    invoicing.queued()

    deliver((message_id(), view.id))

    assert store.get_invoice(view.id).status == "ISSUED"
    assert accepted_order(invoicing, view.id)["buyerTaxNum"] == title["tax_id"]


def test_signing_failure_is_reissued_and_keeps_its_number(invoicing, clock):
    invoicing.issuer(fail_rate_signing=1)
    _, invoice_id = requested(invoicing)
    deliver((message_id(), invoice_id))   # the platform answers 24 签章失败: reInvoice
    assert store.get_invoice(invoice_id).status == "ISSUING"

    invoicing.issuer(fail_rate_signing=0)
    sweep(clock, flow.BACKOFF_CAP_S)

    invoice = store.get_invoice(invoice_id)
    assert invoice.status == "ISSUED" and invoice.attempts <= 2
    answer = requests.get(f"{invoicing.issuer_url}/sandbox/orders/{invoice.issuer_serial}",
                          timeout=5).json()
    assert answer["number"] == invoice.number


def _path(link: str) -> str:
    return urlsplit(link).path


def test_the_mailed_link_downloads_the_platforms_file_after_the_credentials_rotate(
        invoicing, client, monkeypatch):
    _, invoice = issued(invoicing)
    (mail,) = invoicing.mails(EMAIL)
    platform_pdf = requests.get(accepted_pdf_url(invoicing, invoice), timeout=5).content

    import boto3

    from tests.conftest import reset_caches
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)   # credentials are resolved again
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAROTATEDROTATED01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rotated-secret")
    reset_caches()   # a new Lambda container, or the role's credentials refreshed
    answer = client.http.get(_path(mail["links"][0]))

    assert answer.status_code == 302
    location = answer.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Credential"][0].startswith("AKIAROTATEDROTATED01/")
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert invoicing.pdf(_key_of(location, invoicing)) == platform_pdf


def _key_of(presigned: str, invoicing) -> str:
    """The object key of a presigned URL, virtual-hosted or path style."""
    bucket = invoicing.resources["InvoiceBucket"]["Ref"]
    parts = urlsplit(presigned)
    path = parts.path.lstrip("/")
    return path if parts.netloc.startswith(bucket + ".") else path.removeprefix(bucket + "/")


def accepted_pdf_url(invoicing, invoice) -> str:
    from chalicelib.providers.invoice_issuer import get_invoice_issuer
    return get_invoice_issuer().query(invoice.issuer_serial).pdf_url


def test_a_forged_or_expired_link_is_refused_with_a_fixed_text(invoicing, client):
    from chalicelib.services.invoices.links import file_link

    good = _path(file_link("invoices/inv_x/1.pdf", 60))
    expired = _path(file_link("invoices/inv_x/1.pdf", 60, now=time.time() - 3600))
    forged = good[:-3] + ("abc" if not good.endswith("abc") else "xyz")

    for path, code in ((expired, "LINK_EXPIRED"), (forged, "INVALID_LINK"),
                       ("/v1/invoice-files/not-a-token", "INVALID_LINK")):
        answer = client.http.get(path)
        assert (answer.status_code, json.loads(answer.body)["code"]) == (403, code)


def test_a_reversal_gets_its_own_files_and_its_own_mail(invoicing, clock):
    user, invoice = issued(invoicing)
    order_id = invoice.order_ids[0]

    assert invoices.on_order_refunded(order_id) == "reversal requested"
    for message in invoicing.queued():
        deliver((message_id(), message["invoice_id"]))
    sweep(clock, flow.BACKOFF_CAP_S)

    reversed_ = store.get_invoice(invoice.id)
    assert reversed_.status == "REVERSED" and reversed_.reversal_pdf_key
    assert reversed_.reversal_number in reversed_.reversal_pdf_key
    assert invoicing.pdf(reversed_.reversal_pdf_key) != invoicing.pdf(invoice.pdf_key)
    first, second = invoicing.mails(EMAIL)[-2:]
    assert invoice.number in first["subject"]
    assert reversed_.reversal_number in second["subject"] and "红字" in second["subject"]
    assert not reversed_.mail_due and reversed_.next_attempt_at is None   # nothing left to do
    sweep(clock, flow.BACKOFF_CAP_S)
    assert len(invoicing.mails(EMAIL)) == 2
