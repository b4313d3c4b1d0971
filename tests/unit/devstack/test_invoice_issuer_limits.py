"""The issuer sandbox is as strict as the platform: every field of the requests we send is
refused when missing (if required), too long, or outside its documented values, with the
platform's parameter error, over the signed HTTP API. Limits: devstack/sandboxes/invoice_rules.py,
from Nuonuo's requestBillingNew and saveInvoiceRedConfirm field tables."""
from __future__ import annotations

import copy
import uuid

import pytest

from chalicelib.domain.invoices.lines import build_lines, topup_line
from chalicelib.providers.invoice_issuer import (InvoiceIssuerClient, InvoiceIssuerFinalError,
                                                 billing_order)
from devstack.sandboxes import invoice_issuer as sandbox
from devstack.sandboxes import invoice_issuing
from devstack.sandboxes.invoice_rules import DETAIL, ORDER, RED_CONFIRM
from devstack.servers import serve

APP_KEY, APP_SECRET = "limits-app", "limits-secret"
SELLER = {"name": "太原示例加油站有限公司", "tax_id": "91110000600037341L"}


@pytest.fixture(scope="module")
def client():
    running = serve(sandbox.create_app(sandbox.InvoiceIssuerSandboxConfig(
        app_key=APP_KEY, app_secret=APP_SECRET, delay_s=0, seed=3)))
    yield InvoiceIssuerClient(running.url, APP_KEY, APP_SECRET)
    running.stop()


def order() -> dict:
    """A requestBillingNew order as we build it, accepted as it is."""
    lines = [line.to_dict() for line in build_lines([("92", 30120, 22000)])]
    return billing_order("O" + uuid.uuid4().hex[:19], {
        "seller": SELLER, "buyer": {"name": "山西示例物流有限公司", "tax_id": "91440300708461136T"},
        "lines": lines, "clerk": "王晓燕", "remark": "示例站"})


def refusal(client, payload: dict, method: str = "requestBillingNew") -> str:
    with pytest.raises(InvoiceIssuerFinalError) as err:
        client._call(method, payload)
    assert err.value.code == invoice_issuing.BAD_REQUEST
    return str(err.value)


def test_the_order_as_we_build_it_is_accepted(client):
    assert client._call("requestBillingNew", {"order": order()})["code"] == invoice_issuing.OK


@pytest.mark.parametrize("field", sorted(ORDER))
def test_every_order_field_longer_than_documented_is_refused(client, field):
    bad = order()
    bad[field] = "1" * (ORDER[field].max_len + 1)

    assert field in refusal(client, {"order": bad})


@pytest.mark.parametrize("field", sorted(k for k, rule in ORDER.items() if rule.required))
def test_every_required_order_field_is_refused_when_missing(client, field):
    bad = order()
    del bad[field]

    assert f"{field} 不能为空" in refusal(client, {"order": bad})


@pytest.mark.parametrize("field", sorted(k for k, rule in ORDER.items() if rule.values))
def test_order_values_outside_the_documented_set_are_refused(client, field):
    bad = order()
    bad[field] = "9x"[:ORDER[field].max_len]

    assert field in refusal(client, {"order": bad})


@pytest.mark.parametrize("field", sorted(DETAIL))
def test_every_line_field_longer_than_documented_is_refused(client, field):
    bad = order()
    bad["invoiceDetail"][0][field] = "1" * (DETAIL[field].max_len + 1)

    assert field in refusal(client, {"order": bad})


@pytest.mark.parametrize("field", sorted(k for k, rule in DETAIL.items() if rule.required))
def test_every_required_line_field_is_refused_when_missing(client, field):
    bad = order()
    del bad["invoiceDetail"][0][field]

    assert f"{field} 不能为空" in refusal(client, {"order": bad})


def test_the_serial_of_20_characters_passes_and_21_does_not(client):
    fits = order()
    fits["orderNo"] = "F" + uuid.uuid4().hex[:19]
    too_long = copy.deepcopy(fits)
    too_long["orderNo"] += "X"

    assert client._call("requestBillingNew", {"order": fits})["code"] == invoice_issuing.OK
    assert "orderNo 长度不能超过20" in refusal(client, {"order": too_long})


def test_a_drawer_of_nine_characters_is_refused(client):
    bad = order()
    bad["clerk"] = "欧阳王晓燕李张陈刘"

    assert "clerk 长度不能超过8" in refusal(client, {"order": bad})


def test_zero_rate_flag_on_a_digital_invoice_line_is_refused(client):
    bad = order()
    bad["invoiceDetail"][0]["zeroRateFlag"] = "2"

    assert "zeroRateFlag" in refusal(client, {"order": bad})


def test_a_legacy_policy_flag_on_a_digital_invoice_line_is_refused(client):
    bad = billing_order("P" + uuid.uuid4().hex[:19], {
        "seller": SELLER, "buyer": {"name": "张三"}, "lines": [topup_line(100)],
        "clerk": "王晓燕"})
    bad["invoiceDetail"][0]["favouredPolicyFlag"] = "1"

    assert "favouredPolicyFlag" in refusal(client, {"order": bad})


def test_buyer_address_and_phone_together_at_most_100(client):
    bad = order()
    bad["buyerAddress"], bad["buyerTel"] = "地" * 80, "1" * 21

    assert "buyerAddress+buyerTel" in refusal(client, {"order": bad})


def red_confirm() -> dict:
    return {"billId": "R01" + uuid.uuid4().hex[:19], "blueInvoiceLine": "pc",
            "applySource": "0", "blueElecInvoiceNumber": "25142000000000000001",
            "redReason": "1", "sellerTaxNo": SELLER["tax_id"], "sellerName": SELLER["name"],
            "buyerTaxNo": "", "buyerName": "张三"}


@pytest.mark.parametrize("field", sorted(RED_CONFIRM))
def test_every_red_confirmation_field_longer_than_documented_is_refused(client, field):
    bad = red_confirm()
    bad[field] = "1" * (RED_CONFIRM[field].max_len + 1)

    assert field in refusal(client, bad, "saveInvoiceRedConfirm")


@pytest.mark.parametrize("field", sorted(k for k, rule in RED_CONFIRM.items() if rule.required))
def test_every_required_red_confirmation_field_is_refused_when_missing(client, field):
    bad = red_confirm()
    del bad[field]

    assert f"{field} 不能为空" in refusal(client, bad, "saveInvoiceRedConfirm")


def test_a_bill_id_of_33_characters_is_refused(client):
    bad = red_confirm()
    bad["billId"] = "R" * 33

    assert "billId 长度不能超过32" in refusal(client, bad, "saveInvoiceRedConfirm")
