"""Attendant confirmation and manager refunds: the difference goes back by itself, refunds arrive,
and a refund that stalls is followed up until WeChat Pay gives a final answer."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib.services.orders import refunds as refund_service
from chalicelib.store.orders import orders as order_store
from chalicelib.store.orders import refunds as refund_store
from tests.order_flows import confirm, create_order, history, paid_order, refund
from tests.paystack import staff_principal, wait_for


@pytest.fixture
def attendant(station):
    return staff_principal("attendant", station.id)


@pytest.fixture
def manager(station):
    return staff_principal("manager", station.id)


def _settled(order_id, field="refunded_fen", value=None):
    def reached():
        order = order_store.get_order(order_id)
        return order if order.refund_pending_fen == 0 and (value is None or getattr(order, field) == value) else None
    try:
        return wait_for(reached)
    except AssertionError:
        raise AssertionError(f"not settled: {order_store.get_order(order_id)}\n"
                             f"{refund_store.refunds_in_flight(datetime.now(timezone.utc), 50)}")


def test_confirm_with_a_smaller_amount_fuels_and_refunds_the_difference(
        pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    answer = confirm(client, manager, order["id"], {"actual_amount_fen": 25000})

    assert answer.status_code == 200
    confirmed = answer.json_body
    assert confirmed["status"] == "FUELLED" and confirmed["actual_amount_fen"] == 25000
    assert confirmed["liters_ml"] == 34819 and confirmed["refund_pending_fen"] == 5000
    final = _settled(order["id"], value=5000)
    assert final.status == "FUELLED" and final.refunded_fen == 5000
    assert pay.sandbox.refunds[order["id"] + "-S"].refund == 5000
    assert [e["type"] for e in history(client, manager, order["id"])] == [
        "ORDER_CREATED", "ORDER_PAID", "ORDER_FUELLED", "REFUND_REQUESTED", "REFUND_SUCCEEDED"]


def test_full_confirmation_refunds_nothing(pay, station, driver, client, attendant):
    order = paid_order(client, pay, driver, station)

    confirmed = confirm(client, attendant, order["id"]).json_body

    assert confirmed["status"] == "FUELLED" and confirmed["refund_pending_fen"] == 0
    assert order["id"] + "-S" not in pay.sandbox.refunds


def test_history_records_who_when_and_the_amounts(pay, station, driver, client, attendant):
    order = paid_order(client, pay, driver, station, amount_fen=30000)
    confirm(client, attendant, order["id"], {"actual_amount_fen": 28000})
    _settled(order["id"], value=2000)

    fuelled, requested, succeeded = history(client, attendant, order["id"])[2:]

    assert fuelled["actor"] == f"staff:{attendant.subject}:attendant"
    assert fuelled["amounts_before"]["pay_amount_fen"] == 30000
    assert fuelled["amounts_after"]["actual_amount_fen"] == 28000
    assert requested["provider_ids"]["out_refund_no"] == order["id"] + "-S"
    # Each line its own change: the fuelling sets the charge, the refund reserves the rest.
    assert (fuelled["status_before"], fuelled["status_after"]) == ("PAID", "FUELLED")
    assert fuelled["amounts_after"]["refund_reserved_fen"] == 0
    assert (requested["status_before"], requested["status_after"]) == ("FUELLED", "FUELLED")
    assert requested["amounts_before"] == {**requested["amounts_after"], "refund_reserved_fen": 0}
    assert requested["amounts_after"]["refund_reserved_fen"] == 2000
    assert succeeded["actor"].startswith("wechatpay:") and succeeded["provider_ids"]["refund_id"]
    assert succeeded["amounts_after"]["refunded_fen"] == 2000
    assert [e["seq"] for e in history(client, attendant, order["id"])] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("body, status, code", [
    ({"actual_amount_fen": 30001}, 422, "ACTUAL_AMOUNT_ABOVE_PAID"),
    ({"actual_amount_fen": 0}, 400, "FIELD_INVALID"),
])
def test_bad_confirmations_are_refused(pay, station, driver, client, attendant, body, status, code):
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    answer = confirm(client, attendant, order["id"], body)

    assert (answer.status_code, answer.json_body["code"]) == (status, code)
    assert order_store.get_order(order["id"]).status == "PAID"


def test_unpaid_order_cannot_be_confirmed(pay, station, driver, client, attendant):
    order_id = create_order(client, driver, station).json_body["order"]["id"]

    answer = confirm(client, attendant, order_id)

    assert (answer.status_code, answer.json_body["code"]) == (409, "ORDER_NOT_PAID")


def test_staff_of_another_station_cannot_confirm_or_refund(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)
    stranger = staff_principal("manager", "ty-999")

    confirmed = confirm(client, stranger, order["id"])
    refunded = refund(client, stranger, order["id"], 100)

    assert (confirmed.status_code, confirmed.json_body["code"]) == (403, "NOT_YOUR_STATION")
    assert (refunded.status_code, refunded.json_body["code"]) == (403, "NOT_YOUR_STATION")
    assert order_store.get_order(order["id"]).version == 2


def test_attendant_cannot_refund(pay, station, driver, client, attendant):
    order = paid_order(client, pay, driver, station)

    answer = refund(client, attendant, order["id"], 100)

    assert (answer.status_code, answer.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")


def test_manager_partial_refund_arrives_and_marks_the_order(pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    answer = refund(client, manager, order["id"], 1000, reason="油品投诉")

    assert answer.status_code == 202
    assert answer.json_body["refund"]["status"] == "PROCESSING"
    assert answer.json_body["order"]["refund_pending_fen"] == 1000
    final = _settled(order["id"], value=1000)
    assert final.status == "PARTIALLY_REFUNDED"


def test_refunding_everything_makes_the_order_refunded(pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    refund(client, manager, order["id"], 30000)

    assert _settled(order["id"], value=30000).status == "REFUNDED"


def test_same_refund_key_refunds_once_and_another_body_conflicts(pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station)
    key = uuid.uuid4().hex

    first = refund(client, manager, order["id"], 1000, key=key)
    again = refund(client, manager, order["id"], 1000, key=key)
    other = refund(client, manager, order["id"], 2000, key=key)

    assert first.status_code == again.status_code == 202
    assert first.json_body["refund"]["out_refund_no"] == again.json_body["refund"]["out_refund_no"]
    assert (other.status_code, other.json_body["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert len(pay.sandbox.orders[order["id"]].refund_nos) == 1
    assert _settled(order["id"], value=1000).refunded_fen == 1000


def test_refund_above_the_refundable_rest_is_refused(pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30000)
    refund(client, manager, order["id"], 29000)

    answer = refund(client, manager, order["id"], 1001)

    assert (answer.status_code, answer.json_body["code"]) == (422, "REFUND_ABOVE_REFUNDABLE")


def test_abnormal_refund_keeps_the_money_reserved(pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station)
    pay.config.refund_outcome = "ABNORMAL"

    out_refund_no = refund(client, manager, order["id"], 1000).json_body["refund"]["out_refund_no"]

    wait_for(lambda: refund_store.get_refund(out_refund_no).status == "ABNORMAL")
    stored = order_store.get_order(order["id"])
    assert stored.refunded_fen == 0 and stored.refund_reserved_fen == 1000 and stored.status == "PAID"


def test_closed_refund_frees_the_money_to_refund_again(pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30000)
    pay.config.refund_outcome = "CLOSED"

    out_refund_no = refund(client, manager, order["id"], 30000).json_body["refund"]["out_refund_no"]

    wait_for(lambda: refund_store.get_refund(out_refund_no).status == "CLOSED")
    stored = wait_for(lambda: (o := order_store.get_order(order["id"])).refund_reserved_fen == 0 and o)
    assert stored.refundable_fen == 30000 and stored.status == "PAID"


def test_refund_waiting_for_the_merchant_balance_is_followed_up(pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30000)
    pay.config.merchant_balance_fen = 100

    answer = refund(client, manager, order["id"], 5000)
    out_refund_no = answer.json_body["refund"]["out_refund_no"]
    assert answer.json_body["refund"]["status"] == "PROCESSING"
    assert out_refund_no not in pay.sandbox.refunds  # NOT_ENOUGH: nothing was refunded
    pay.config.merchant_balance_fen = None
    later = datetime.now(timezone.utc) + timedelta(minutes=1)

    counts = refund_service.follow_up(later)

    assert counts["resent"] >= 1
    assert _settled(order["id"], value=5000).status == "PARTIALLY_REFUNDED"
    assert pay.sandbox.refunds[out_refund_no].refund == 5000


def test_refund_whose_notification_was_lost_is_settled_by_the_follow_up(
        pay, station, driver, client, manager):
    order = paid_order(client, pay, driver, station)
    requests.post(f"{pay.pay_url}/sandbox/suppress-notifications",
                  json={"out_trade_no": order["id"]}, timeout=5)
    out_refund_no = refund(client, manager, order["id"], 700).json_body["refund"]["out_refund_no"]
    wait_for(lambda: pay.sandbox.refunds[out_refund_no].status == "SUCCESS")

    counts = refund_service.follow_up(datetime.now(timezone.utc))

    assert counts["settled"] >= 1
    assert refund_store.get_refund(out_refund_no).status == "SUCCESS"
    assert order_store.get_order(order["id"]).refunded_fen == 700
    assert refund_service.follow_up(datetime.now(timezone.utc))["checked"] == 0  # off the index


def test_refund_of_an_invoiced_order_asks_for_the_invoice_reversal(
        pay, station, driver, client, attendant, manager, monkeypatch):
    from chalicelib.services.invoices import requests as invoices
    reversed_orders = []
    monkeypatch.setattr(invoices, "on_order_refunded",
                        lambda order_id, refunded_at: reversed_orders.append(order_id)
                        or "reversal requested")
    order = paid_order(client, pay, driver, station)
    confirm(client, attendant, order["id"])
    order_store.OrderModel(order["id"]).update(  # what the invoice service's reservation does
        actions=[order_store.OrderModel.invoice_id.set("INV-1")])

    refund(client, manager, order["id"], 1000)

    _settled(order["id"], value=1000)
    wait_for(lambda: reversed_orders)
    assert reversed_orders[0] == order["id"]
