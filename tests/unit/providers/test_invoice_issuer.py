"""The invoice-issuer client against the devstack sandbox on a loopback port."""
import json
import time
import uuid
from pathlib import Path

import pytest
import requests

from chalicelib.domain.invoices.lines import build_lines, topup_line
from chalicelib.providers import invoice_issuer
from chalicelib.providers.invoice_issuer import (InvoiceIssuerClient, InvoiceIssuerFinalError,
                                                 InvoiceIssuerRetryableError, InvoiceNotSubmitted,
                                                 billing_order, sign, string_to_sign)
from devstack.sandboxes import invoice_issuer as sandbox
from devstack.sandboxes import invoice_issuing
from devstack.servers import serve

APP_KEY, APP_SECRET = "unit-app-key", "unit-app-secret"
DELAY_S = 0.15
SELLER = {"name": "太原示例加油站有限公司", "tax_id": "91110000600037341L",
          "address": "太原市小店区", "phone": "0351-1234567"}


@pytest.fixture(scope="module")
def issuer_url():
    running = serve(sandbox.create_app(sandbox.InvoiceIssuerSandboxConfig(
        app_key=APP_KEY, app_secret=APP_SECRET, delay_s=DELAY_S, seed=7)))
    yield running.url
    running.stop()


@pytest.fixture
def client(issuer_url):
    configure(issuer_url, delay_s=DELAY_S, fail_rate_temporary=0, fail_rate_permanent=0,
              fail_rate_transient=0)
    return InvoiceIssuerClient(issuer_url, APP_KEY, APP_SECRET)


def configure(url, **values) -> dict:
    response = requests.post(f"{url}/sandbox/config", json=values, timeout=5)
    response.raise_for_status()
    return response.json()


CLERK = "王晓燕"
PARTIES = {"seller": SELLER, "buyer": {"name": "张三"}}


def serial() -> str:
    return "T" + uuid.uuid4().hex[:19]   # orderNo and billId: at most 20 and 32 characters


def fuel_invoice(**buyer) -> dict:
    lines = build_lines([("92", 30120, 22000), ("0", 20000, 15000)])
    return {"seller": SELLER, "buyer": {"type": "personal", "name": "张三", **buyer},
            "lines": [line.to_dict() for line in lines], "clerk": CLERK}


def wait(poll, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        result = poll()
        if result.status != "ISSUING" or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def issue(client) -> tuple[str, str]:
    serial_no = serial()
    client.submit(serial_no, fuel_invoice())
    return serial_no, wait(lambda: client.query(serial_no)).number


def test_a_submitted_invoice_is_issuing_then_issued_with_a_20_digit_number(client):
    serial_no = serial()

    submitted = client.submit(serial_no, fuel_invoice())
    first = client.query(serial_no)
    final = wait(lambda: client.query(serial_no))

    assert not submitted.duplicate and submitted.issuer_serial
    assert first.status == "ISSUING"
    assert final.status == "ISSUED" and len(final.number) == 20 and final.number.isdigit()
    assert final.issued_at.endswith("Z") and final.fail_reason is None


def test_submitting_the_same_serial_twice_issues_one_number(client):
    serial_no = serial()

    first = client.submit(serial_no, fuel_invoice())
    second = client.submit(serial_no, fuel_invoice())
    number = wait(lambda: client.query(serial_no)).number

    assert second.duplicate and second.issuer_serial == first.issuer_serial
    assert client.query(serial_no).number == number


def test_every_invoice_gets_its_own_number(client):
    serials = [serial() for _ in range(5)]
    for serial_no in serials:
        client.submit(serial_no, fuel_invoice())

    numbers = {wait(lambda: client.query(serial_no)).number for serial_no in serials}

    assert len(numbers) == 5 and None not in numbers


def test_a_company_buyer_and_a_topup_invoice_are_accepted(client):
    serial_no = serial()
    invoice = {"seller": SELLER, "lines": [topup_line(50000).to_dict()],
               "buyer": {"type": "company", "name": "山西示例物流有限公司",
                         "tax_id": "91440300708461136T", "bank": "中国银行", "account": "6217"},
               "clerk": CLERK}

    client.submit(serial_no, invoice)

    assert wait(lambda: client.query(serial_no)).status == "ISSUED"


def test_a_bad_signature_is_refused_for_good(issuer_url, client):
    wrong_secret = InvoiceIssuerClient(issuer_url, APP_KEY, "not-the-secret")
    wrong_key = InvoiceIssuerClient(issuer_url, "not-the-key", APP_SECRET)

    with pytest.raises(InvoiceIssuerFinalError) as bad_signature:
        wrong_secret.submit(serial(), fuel_invoice())
    with pytest.raises(InvoiceIssuerFinalError) as bad_key:
        wrong_key.query(serial())

    assert bad_signature.value.code == sandbox.BAD_SIGNATURE and not bad_signature.value.retryable
    assert bad_key.value.code == sandbox.UNKNOWN_APP


def test_a_tampered_body_fails_the_signature(issuer_url):
    body = json.dumps({"orderNos": ["x"]})
    params = {"senid": uuid.uuid4().hex, "nonce": "12345678", "timestamp": str(int(time.time())),
              "appkey": APP_KEY}
    signature = sign(APP_SECRET, string_to_sign(sandbox.SERVICES_PATH, APP_KEY, params["senid"],
                                                params["nonce"], params["timestamp"], body))

    answer = requests.post(f"{issuer_url}{sandbox.SERVICES_PATH}", params=params,
                           data=body.replace("x", "y"), timeout=5,
                           headers={"X-Nuonuo-Sign": signature,
                                    "method": "nuonuo.OpeMplatform.queryInvoiceResult"}).json()

    assert answer["code"] == sandbox.BAD_SIGNATURE


def test_a_stale_timestamp_is_refused_but_worth_retrying(issuer_url):
    body = json.dumps({"orderNos": ["x"]})
    params = {"senid": uuid.uuid4().hex, "nonce": "12345678",
              "timestamp": str(int(time.time()) - 3600), "appkey": APP_KEY}
    signature = sign(APP_SECRET, string_to_sign(sandbox.SERVICES_PATH, APP_KEY, params["senid"],
                                                params["nonce"], params["timestamp"], body))

    answer = requests.post(f"{issuer_url}{sandbox.SERVICES_PATH}", params=params, data=body,
                           timeout=5, headers={"X-Nuonuo-Sign": signature,
                                               "method": "nuonuo.OpeMplatform.queryInvoiceResult"})

    assert answer.json()["code"] == invoice_issuer.STALE_TIMESTAMP == sandbox.STALE_TIMESTAMP


def test_the_client_treats_a_clock_refusal_as_retryable():
    skewed = serve(sandbox.create_app(sandbox.InvoiceIssuerSandboxConfig(
        app_key=APP_KEY, app_secret=APP_SECRET, max_clock_skew_s=-1)))
    try:
        with pytest.raises(InvoiceIssuerRetryableError) as err:
            InvoiceIssuerClient(skewed.url, APP_KEY, APP_SECRET).query(serial())
    finally:
        skewed.stop()

    assert err.value.code == sandbox.STALE_TIMESTAMP


def test_a_busy_issuer_raises_a_retryable_error_and_the_same_serial_goes_through_later(issuer_url,
                                                                                          client):
    serial_no = serial()
    configure(issuer_url, fail_rate_temporary=1)

    with pytest.raises(InvoiceIssuerRetryableError) as err:
        client.submit(serial_no, fuel_invoice())
    configure(issuer_url, fail_rate_temporary=0)
    client.submit(serial_no, fuel_invoice())

    assert err.value.retryable and err.value.code == invoice_issuing.BUSY
    assert wait(lambda: client.query(serial_no)).status == "ISSUED"


def test_a_transient_issuing_failure_is_retryable_under_the_same_serial(issuer_url, client):
    serial_no = serial()
    configure(issuer_url, fail_rate_transient=1)
    client.submit(serial_no, fuel_invoice())

    failed = wait(lambda: client.query(serial_no))
    configure(issuer_url, fail_rate_transient=0)
    client.retry(serial_no)
    retried = wait(lambda: client.query(serial_no))

    assert failed.status == "FAILED" and failed.retryable and failed.fail_reason
    assert retried.status == "ISSUED" and len(retried.number) == 20


def test_a_permanent_failure_is_final(issuer_url, client):
    serial_no = serial()
    configure(issuer_url, fail_rate_permanent=1)
    client.submit(serial_no, fuel_invoice())

    failed = wait(lambda: client.query(serial_no))
    client.retry(serial_no)
    after_retry = wait(lambda: client.query(serial_no))

    assert failed.status == "FAILED" and not failed.retryable and failed.fail_reason
    assert after_retry.status == "FAILED" and after_retry.number is None


def test_an_invoice_the_issuer_cannot_accept_is_refused_for_good(client):
    invoice = fuel_invoice()
    invoice["lines"][0]["tax_fen"] += 1   # net + tax no longer equals the amount

    with pytest.raises(InvoiceIssuerFinalError) as err:
        client.submit(serial(), invoice)

    assert err.value.code == invoice_issuing.BAD_REQUEST


def test_asking_about_a_serial_never_submitted_says_so(client):
    with pytest.raises(InvoiceNotSubmitted) as err:
        client.query(serial())

    assert err.value.retryable


def test_an_unreachable_issuer_is_a_retryable_error():
    closed = InvoiceIssuerClient("http://127.0.0.1:9", APP_KEY, APP_SECRET)

    with pytest.raises(InvoiceIssuerRetryableError):
        closed.query(serial())


def test_a_red_letter_reversal_gets_its_own_number(client):
    _, blue_number = issue(client)
    red_serial = serial()

    submitted = client.submit_red_letter(red_serial, blue_number, "SALES_RETURN", **PARTIES)
    red = wait(lambda: client.query_red_letter(red_serial))
    again = client.submit_red_letter(red_serial, blue_number, "SALES_RETURN", **PARTIES)

    assert not submitted.duplicate and again.duplicate
    assert red.status == "ISSUED" and len(red.number) == 20 and red.number != blue_number
    assert red.issued_at.endswith("Z")
    assert wait(lambda: client.query_red_letter(red_serial)).number == red.number


def test_an_invoice_is_reversed_only_once(client):
    _, blue_number = issue(client)
    client.submit_red_letter(serial(), blue_number, "SALES_RETURN", **PARTIES)

    with pytest.raises(InvoiceIssuerFinalError):
        client.submit_red_letter(serial(), blue_number, "SALES_RETURN", **PARTIES)


def test_reversing_an_unknown_number_is_refused(client):
    with pytest.raises(InvoiceIssuerFinalError):
        client.submit_red_letter(serial(), "25142000000000000000", "INVOICING_ERROR",
                                  **PARTIES)
    with pytest.raises(InvoiceNotSubmitted):
        client.query_red_letter(serial())


def test_a_failed_reversal_frees_the_invoice_for_another_attempt(issuer_url, client):
    _, blue_number = issue(client)
    first, second = serial(), serial()
    configure(issuer_url, fail_rate_permanent=1)
    client.submit_red_letter(first, blue_number, "SALES_RETURN", **PARTIES)

    failed = wait(lambda: client.query_red_letter(first))
    configure(issuer_url, fail_rate_permanent=0)
    client.submit_red_letter(second, blue_number, "SALES_RETURN", **PARTIES)

    assert failed.status == "FAILED" and failed.fail_reason
    assert wait(lambda: client.query_red_letter(second)).status == "ISSUED"


def test_the_sandbox_config_refuses_nonsense(issuer_url):
    for bad in ({"fail_rate_permanent": 2}, {"delay_s": -1}, {"delay_s": "soon"}, {"colour": 1},
                [1], {"seed": {"a": 1}}):
        assert requests.post(f"{issuer_url}/sandbox/config", json=bad, timeout=5).status_code == 400
    shown = requests.get(f"{issuer_url}/sandbox/config", timeout=5).json()
    assert "app_secret" not in shown and shown["app_key"] == APP_KEY


def test_refined_oil_is_flagged_as_such_and_a_topup_is_not():
    oil = billing_order("s-1", fuel_invoice(), now=0)
    topup = billing_order("s-2", {"seller": SELLER, "buyer": {"name": "张三"},
                                  "lines": [topup_line(10000)], "clerk": CLERK}, now=0)

    assert oil["specificFactor"] == "1" and topup["specificFactor"] == "0"
    assert oil["invoiceDate"] == "1970-01-01 08:00:00"   # Beijing time
    assert oil["invoiceDetail"][0] == {
        "goodsName": "92号车用汽油(VIB)", "goodsCode": "1070101010100000000", "withTaxFlag": "1",
        "taxRate": "0.13", "taxIncludedAmount": "220.00", "taxExcludedAmount": "194.69",
        "tax": "25.31", "invoiceLineProperty": "0", "favouredPolicyFlag": "", "zeroRateFlag": "",
        "num": "30.12", "price": "7.30411687", "unit": "升"}
    # 数电: exemption is favouredPolicyFlag 04 (不征税) alone; zeroRateFlag stays empty.
    assert topup["invoiceDetail"][0]["favouredPolicyFlag"] == "04"
    assert topup["invoiceDetail"][0]["zeroRateFlag"] == ""
    assert oil["clerk"] == CLERK
    assert "num" not in topup["invoiceDetail"][0]


def test_an_order_without_a_drawer_is_never_built():
    with pytest.raises(invoice_issuer.MissingClerk):
        billing_order("s-3", {**fuel_invoice(), "clerk": None}, now=0)


def test_the_signed_string_follows_the_documented_layout():
    assert string_to_sign("/open/v1/services", "K", "S", "12345678", "1700000000", '{"a":1}') == \
        'a=services&l=v1&p=open&k=K&i=S&n=12345678&t=1700000000&f={"a":1}'


def test_the_factory_reads_the_url_and_keys_from_settings(base_environment, monkeypatch):
    from tests.conftest import add_secrets, reset_caches
    monkeypatch.setenv("INVOICE_API_URL", "http://127.0.0.1:1234")
    add_secrets(base_environment, invoice_app_key=APP_KEY, invoice_app_secret=APP_SECRET)
    reset_caches()
    invoice_issuer.get_invoice_issuer.cache_clear()

    issuer = invoice_issuer.get_invoice_issuer()

    assert issuer._url == "http://127.0.0.1:1234/open/v1/services"
    assert issuer is invoice_issuer.get_invoice_issuer()
    invoice_issuer.get_invoice_issuer.cache_clear()


def test_the_sandbox_implements_the_protocol_without_the_app_code():
    for module in (sandbox, invoice_issuing):
        source = Path(module.__file__).read_text(encoding="utf-8")

        assert "chalicelib" not in source
