"""The webhook accepts only what WeChat Pay signed, freshly, for our orders: everything else is
a 4xx {"code": "FAIL"} and changes nothing."""
from __future__ import annotations

import base64
import json
import time

import pytest

from chalicelib.services.orders import payments
from chalicelib.store.orders import events as order_events
from chalicelib.store.orders import orders as order_store
from devstack.sandboxes.wechatpay import WeChatPaySandboxConfig, generate_keys, sign_notification
from tests.order_flows import create_order, prepay_id
from tests.paystack import APPID, MCHID


@pytest.fixture
def security_events(monkeypatch):
    seen = []
    monkeypatch.setattr(payments, "security_event", lambda kind, **details: seen.append(kind))
    return seen


@pytest.fixture
def paid_at_wechatpay(pay, station, driver, client):
    """An order the driver paid at WeChat Pay whose notification we have not seen yet."""
    created = create_order(client, driver, station)
    order_id = created.json_body["order"]["id"]
    with pay.sandbox.lock:
        pay.sandbox.suppressed.add(order_id)
    pay.pay(prepay_id(created))
    return order_id, pay.sandbox.query_order(order_id)


def _deliver(client, headers, body):
    return client.http.post("/v1/webhooks/wechatpay",
                            headers={"Content-Type": "application/json", **headers}, body=body)


def _assert_untouched(order_id):
    order = order_store.get_order(order_id)
    assert order.status == "PENDING_PAYMENT" and order.version == 1
    assert [e.type for e in order_events.list_events(order_id)] == ["ORDER_CREATED"]


def _forged(pay, transaction):
    forger = WeChatPaySandboxConfig.from_keys(generate_keys(), appid=APPID, mchid=MCHID)
    forger.apiv3_key = pay.config.apiv3_key  # even knowing the APIv3 key does not help
    headers, body = pay.notification("TRANSACTION.SUCCESS", transaction)
    return {**sign_notification(forger, body), "Wechatpay-Serial": pay.config.public_key_id}, body


def _wrong_serial(pay, transaction):
    headers, body = pay.notification("TRANSACTION.SUCCESS", transaction)
    return {**headers, "Wechatpay-Serial": "PUB_KEY_ID_0000000000000000000000000000000"}, body


# A minute outside the five-minute window: the time it takes to deliver the notification (and
# the second int() drops) must not bring a future timestamp back inside it on a slow machine.
# The window's exact edge is tested against a given now in tests/unit/providers.
def _stale(pay, transaction):
    return pay.notification("TRANSACTION.SUCCESS", transaction, timestamp=int(time.time()) - 360)


def _future(pay, transaction):
    return pay.notification("TRANSACTION.SUCCESS", transaction, timestamp=int(time.time()) + 360)


def _replayed(pay, transaction):
    headers, body = pay.notification("TRANSACTION.SUCCESS", transaction,
                                     timestamp=int(time.time()) - 3600)
    return {**headers, "Wechatpay-Timestamp": str(int(time.time()))}, body


def _tampered(pay, transaction):
    _, body = pay.notification("TRANSACTION.SUCCESS", transaction)
    envelope = json.loads(body)
    sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
    sealed[3] ^= 0x01
    envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    raw = json.dumps(envelope).encode()
    return sign_notification(pay.config, raw), raw  # correctly signed, but it does not decrypt


def _probe(pay, transaction):
    headers, body = pay.notification("TRANSACTION.SUCCESS", transaction)
    return {**headers, "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]}, body


def _unsigned(pay, transaction):
    _, body = pay.notification("TRANSACTION.SUCCESS", transaction)
    return {}, body


@pytest.mark.parametrize("attack", [_forged, _wrong_serial, _stale, _future, _replayed, _tampered,
                                    _probe, _unsigned])
def test_notifications_that_do_not_verify_are_refused_and_change_nothing(
        pay, client, paid_at_wechatpay, security_events, attack):
    order_id, transaction = paid_at_wechatpay

    answer = _deliver(client, *attack(pay, transaction))

    assert answer.status_code == 401
    assert answer.json_body["code"] == "FAIL" and answer.json_body["message"]
    assert security_events == ["NOTIFICATION_NOT_VERIFIED"]
    _assert_untouched(order_id)


def test_the_genuine_notification_still_works_after_the_attacks(pay, client, paid_at_wechatpay):
    order_id, transaction = paid_at_wechatpay
    for attack in (_forged, _stale, _tampered):
        _deliver(client, *attack(pay, transaction))

    answer = _deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction))

    assert answer.status_code == 204
    assert order_store.get_order(order_id).status == "PAID"


@pytest.mark.parametrize("field, value", [("total", -1), ("openid", "o-attacker")])
def test_amount_or_payer_mismatch_is_rejected_as_a_security_event(
        pay, client, paid_at_wechatpay, security_events, field, value):
    order_id, transaction = paid_at_wechatpay
    if field == "total":
        transaction["amount"]["total"] += value
    else:
        transaction["payer"]["openid"] = value

    answer = _deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction))

    assert (answer.status_code, answer.json_body["code"]) == (400, "FAIL")
    assert security_events == ["NOTIFICATION_MISMATCH"]
    _assert_untouched(order_id)


def test_refund_notification_for_another_amount_is_rejected(pay, client, paid_at_wechatpay,
                                                            security_events):
    order_id, _ = paid_at_wechatpay
    resource = {"mchid": MCHID, "out_trade_no": order_id, "out_refund_no": order_id + "-S",
                "refund_id": "50300001", "refund_status": "SUCCESS",
                "amount": {"total": 30000, "refund": 30000, "payer_total": 30000, "payer_refund": 30000}}

    answer = _deliver(client, *pay.notification("REFUND.SUCCESS", resource))

    assert (answer.status_code, answer.json_body["code"]) == (400, "FAIL")
    assert security_events == ["NOTIFICATION_MISMATCH"]
    _assert_untouched(order_id)
