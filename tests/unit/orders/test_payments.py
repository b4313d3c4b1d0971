"""Payment state that heals itself: notifications applied once, cancel closes at WeChat Pay,
late or lost notifications healed by a query, and a payment after close refunded in full."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib.domain.orders.ids import order_id_for
from chalicelib.domain.orders.lifecycle import close
from chalicelib.services.orders import payment_expiry, payments
from chalicelib.services.orders.changes import change_order
from chalicelib.store.orders import orders as order_store
from tests.order_flows import create_order, get_order, paid_order, prepay_id
from tests.paystack import driver_auth, staff_auth, staff_principal, wait_for


@pytest.fixture
def security_events(monkeypatch):
    seen = []
    monkeypatch.setattr(payments, "security_event", lambda kind, **details: seen.append(kind))
    return seen


def _suppress(pay, out_trade_no):
    requests.post(f"{pay.pay_url}/sandbox/suppress-notifications",
                  json={"out_trade_no": out_trade_no}, timeout=5)


def _history_types(client, station, order_id):
    manager = staff_principal("manager", station.id)
    answer = client.http.get(f"/v1/staff/orders/{order_id}/history", headers=staff_auth(manager))
    return [e["type"] for e in answer.json_body["items"]]


def _deliver(client, headers, body):
    return client.http.post("/v1/webhooks/wechatpay", headers=headers, body=body)


def test_paid_notification_moves_the_order_to_paid_once(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)

    assert order["paid_at"] is not None
    assert _history_types(client, station, order["id"]) == ["ORDER_CREATED", "ORDER_PAID"]
    (delivery,) = pay.deliveries(order["id"])
    assert delivery["delivered"] and delivery["attempts"][-1]["status"] == 204


def test_repeated_notification_is_answered_204_and_changes_nothing(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)
    transaction = pay.sandbox.query_order(order["id"])

    answer = _deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction))

    assert answer.status_code == 204
    assert _history_types(client, station, order["id"]) == ["ORDER_CREATED", "ORDER_PAID"]


@pytest.mark.parametrize("tamper", [
    lambda t: t["amount"].update(total=t["amount"]["total"] - 1),
    lambda t: t["payer"].update(openid="o-someone-else"),
    lambda t: t.update(appid="wx0000000000000000"),
    lambda t: t.update(mchid="1900000000"),
    lambda t: t.update(out_trade_no="FO" + "Z" * 26),
])
def test_notification_that_does_not_fit_the_order_is_rejected_and_logged(
        pay, station, driver, client, security_events, tamper):
    created = create_order(client, driver, station).json_body["order"]
    _suppress(pay, created["id"])
    pay.pay(pay.sandbox.orders[created["id"]].prepay_id)
    transaction = pay.sandbox.query_order(created["id"])
    tamper(transaction)

    answer = _deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction))

    assert (answer.status_code, answer.json_body["code"]) == (400, "FAIL")
    assert security_events == ["NOTIFICATION_MISMATCH"]
    stored = order_store.get_order(created["id"])
    assert stored.status == "PENDING_PAYMENT" and stored.version == 1


def test_cancel_closes_the_unpaid_order_at_wechatpay_and_here(pay, station, driver, client):
    created = create_order(client, driver, station)
    order_id = created.json_body["order"]["id"]

    cancelled = client.http.post(f"/v1/orders/{order_id}/cancel", headers=driver_auth(driver))

    assert cancelled.status_code == 200 and cancelled.json_body["status"] == "CLOSED"
    assert pay.sandbox.orders[order_id].state == "CLOSED"
    assert pay.pay(prepay_id(created)).json()["code"] == "ORDER_CLOSED"
    again = client.http.post(f"/v1/orders/{order_id}/cancel", headers=driver_auth(driver))
    assert again.json_body["status"] == "CLOSED"


def test_cancel_of_an_order_paid_with_a_lost_notification_heals_it(pay, station, driver, client):
    created = create_order(client, driver, station)
    order_id = created.json_body["order"]["id"]
    _suppress(pay, order_id)
    pay.pay(prepay_id(created))

    answer = client.http.post(f"/v1/orders/{order_id}/cancel", headers=driver_auth(driver))

    assert (answer.status_code, answer.json_body["code"]) == (409, "ORDER_ALREADY_PAID")
    assert order_store.get_order(order_id).status == "PAID"


def test_paid_order_cannot_be_cancelled(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)

    answer = client.http.post(f"/v1/orders/{order['id']}/cancel", headers=driver_auth(driver))

    assert (answer.status_code, answer.json_body["code"]) == (409, "ORDER_NOT_CANCELLABLE")


def test_reading_a_pending_order_asks_wechatpay_about_a_late_notification(pay, station, driver, client):
    created = create_order(client, driver, station)
    order_id = created.json_body["order"]["id"]
    _suppress(pay, order_id)
    pay.pay(prepay_id(created))

    assert get_order(client, driver, order_id)["status"] == "PAID"


def _expire(order_id, minutes=16):
    return payment_expiry.expire_pending_orders(datetime.now(timezone.utc) + timedelta(minutes=minutes))


def test_expiry_closes_an_unpaid_order_at_wechatpay_and_here(pay, station, driver, client):
    order_id = create_order(client, driver, station).json_body["order"]["id"]

    assert payment_expiry.expire_pending_orders(datetime.now(timezone.utc))["closed"] == 0
    counts = _expire(order_id)

    order = order_store.get_order(order_id)
    assert counts["closed"] >= 1 and order.status == "CLOSED" and order.close_reason == "not paid in time"
    assert pay.sandbox.orders[order_id].state == "CLOSED"
    assert _expire(order_id)["closed"] == 0  # off the awaiting-payment index now


def test_expiry_heals_a_payment_whose_notification_was_lost(pay, station, driver, client):
    created = create_order(client, driver, station)
    order_id = created.json_body["order"]["id"]
    _suppress(pay, order_id)
    pay.pay(prepay_id(created))

    counts = _expire(order_id)

    assert counts["paid"] >= 1 and order_store.get_order(order_id).status == "PAID"
    assert _history_types(client, station, order_id) == ["ORDER_CREATED", "ORDER_PAID"]


def test_expiry_closes_an_order_wechatpay_never_received(pay, station, driver, client, monkeypatch):
    from tests.conftest import reset_caches
    monkeypatch.setenv("WECHATPAY_API_URL", "http://127.0.0.1:9")
    reset_caches()
    assert create_order(client, driver, station, key="never-reached").status_code == 503
    order_id = order_id_for(driver.id, "never-reached")
    monkeypatch.setenv("WECHATPAY_API_URL", pay.pay_url)
    reset_caches()

    _expire(order_id)

    assert order_store.get_order(order_id).status == "CLOSED"


def test_payment_arriving_after_close_is_refunded_in_full(pay, station, driver, client):
    created = create_order(client, driver, station)
    order_id = created.json_body["order"]["id"]
    _suppress(pay, order_id)
    pay.pay(prepay_id(created))
    # Closed here just as the driver paid there (the close at WeChat Pay lost the race).
    change_order(order_id, lambda o: close(o, at=datetime.now(timezone.utc), actor="job:test",
                                           reason="not paid in time"))
    with pay.sandbox.lock:
        pay.sandbox.suppressed.discard(order_id)  # the refund's notification may go through

    answer = _deliver(client, *pay.notification("TRANSACTION.SUCCESS",
                                                pay.sandbox.query_order(order_id)))

    assert answer.status_code == 204
    wait_for(lambda: "REFUND_SUCCEEDED" in _history_types(client, station, order_id))
    refunded = order_store.get_order(order_id)
    assert refunded.status == "CLOSED" and refunded.refunded_fen == refunded.pay_amount_fen
    assert _history_types(client, station, order_id) == [
        "ORDER_CREATED", "ORDER_CLOSED", "PAYMENT_AFTER_CLOSE", "REFUND_REQUESTED", "REFUND_SUCCEEDED"]
    assert pay.sandbox.refunds[order_id + "-L"].refund == refunded.pay_amount_fen
