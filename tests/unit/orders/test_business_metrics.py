"""An order's journey leaves its business metrics as EMF lines in the function's log, once per
fact (a repeated notification counts nothing twice), with only bounded dimensions."""
from __future__ import annotations

import time

from chalicelib.metrics import NAMESPACE
from chalicelib.store.orders import orders as order_store
from devstack.sandboxes.wechatpay import WeChatPaySandboxConfig, generate_keys, sign_notification
from tests.emf import emf_records, metric_values
from tests.order_flows import create_order, prepay_id
from tests.paystack import APPID, MCHID


def _deliver(client, headers, body):
    return client.http.post("/v1/webhooks/wechatpay",
                            headers={"Content-Type": "application/json", **headers}, body=body)


def _paid_unnotified(pay, station, driver, client):
    created = create_order(client, driver, station, amount_fen=25000)
    order_id = created.json_body["order"]["id"]
    with pay.sandbox.lock:
        pay.sandbox.suppressed.add(order_id)
    pay.pay(prepay_id(created))
    return order_id, pay.sandbox.query_order(order_id)


def test_created_and_paid_once_with_the_paid_amount(pay, station, driver, client, capsys):
    order_id, transaction = _paid_unnotified(pay, station, driver, client)
    for _ in range(3):  # WeChat Pay repeats notifications: the payment is one fact
        assert _deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction)) \
            .status_code == 204

    log = capsys.readouterr().out
    order = order_store.get_order(order_id)
    assert order.status == "PAID"
    assert metric_values(log, "OrdersCreated", stage="local", service="fuel") == [1.0]
    assert metric_values(log, "OrdersPaid", stage="local") == [1.0]
    assert metric_values(log, "PaymentAmountFen", stage="local") == [float(order.pay_amount_fen)]
    for doc in emf_records(log):
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == NAMESPACE
            assert {d for group in directive["Dimensions"] for d in group} <= {
                "service", "stage", "reason", "status", "kind"}


def test_unverifiable_and_mismatched_notifications_are_counted_by_reason(
        pay, station, driver, client, capsys):
    order_id, transaction = _paid_unnotified(pay, station, driver, client)
    forger = WeChatPaySandboxConfig.from_keys(generate_keys(), appid=APPID, mchid=MCHID)
    _, body = pay.notification("TRANSACTION.SUCCESS", transaction)
    forged = {**sign_notification(forger, body), "Wechatpay-Serial": pay.config.public_key_id}
    assert _deliver(client, forged, body).status_code == 401
    stale = pay.notification("TRANSACTION.SUCCESS", transaction, timestamp=int(time.time()) - 301)
    assert _deliver(client, *stale).status_code == 401
    transaction["amount"]["total"] -= 1
    assert _deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction)) \
        .status_code == 400

    log = capsys.readouterr().out
    assert metric_values(log, "WebhookRejected", reason="NOT_VERIFIED") == [1.0, 1.0]
    assert metric_values(log, "WebhookRejected", reason="MISMATCH") == [1.0]
    assert metric_values(log, "OrdersPaid") == []
    assert order_store.get_order(order_id).status == "PENDING_PAYMENT"

