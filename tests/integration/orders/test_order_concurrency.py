"""Races on one order, over HTTP against the app on DynamoDB Local: copies of a notification
arriving at once pay once; refunds and a confirmation at once never return more than was paid.
Races on one station: orders and confirmations at once are each counted on its queue once."""
from __future__ import annotations

import uuid

import pytest
import requests

from chalicelib.store.orders import events as order_events
from chalicelib.store.orders import orders as order_store
from chalicelib.store.stations import stations as station_store
from tests import paystack
from tests.paystack import driver_auth, staff_auth, staff_principal, wait_for
from tests.races import all_at_once

pytestmark = pytest.mark.slow


@pytest.fixture
def dynamodb(real_dynamodb):
    """Races need DynamoDB's atomic conditional writes, so they run on DynamoDB Local only:
    moto does not serialize concurrent writes to one item."""
    return real_dynamodb


def _create(pay, driver, station, amount_fen=30000) -> dict:
    answer = requests.post(f"{pay.api_url}/v1/orders", headers={
        **driver_auth(driver), "Idempotency-Key": uuid.uuid4().hex},
        json={"station_id": station.id, "nozzle_no": 1, "amount_fen": amount_fen}, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _paid_silently(pay, driver, station, amount_fen=30000) -> tuple[str, dict]:
    """An order paid at WeChat Pay whose notification has not been delivered."""
    created = _create(pay, driver, station, amount_fen)
    order_id = created["order"]["id"]
    with pay.sandbox.lock:
        pay.sandbox.suppressed.add(order_id)
    assert pay.pay(created["payment"]["package"].split("=", 1)[1]).status_code == 200
    return order_id, pay.sandbox.query_order(order_id)


def test_fifty_copies_of_one_notification_make_one_paid_transition(pay):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    order_id, transaction = _paid_silently(pay, driver, station)
    headers, body = pay.notification("TRANSACTION.SUCCESS", transaction)

    answers = all_at_once([lambda: requests.post(f"{pay.api_url}/v1/webhooks/wechatpay",
                                                  headers=headers, data=body, timeout=60)] * 50)

    assert [a.status_code for a in answers] == [204] * 50, {a.status_code: a.text for a in answers}
    order = order_store.get_order(order_id)
    assert order.status == "PAID" and order.version == 2
    assert [e.type for e in order_events.list_events(order_id)] == ["ORDER_CREATED", "ORDER_PAID"]


def test_concurrent_refunds_and_a_confirmation_never_refund_more_than_was_paid(pay, dynamodb):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    created = _create(pay, driver, station, 30000)
    order_id = created["order"]["id"]
    pay.pay(created["payment"]["package"].split("=", 1)[1])
    wait_for(lambda: order_store.get_order(order_id).status == "PAID")
    manager = staff_auth(staff_principal("manager", station.id))
    confirmer = staff_auth(staff_principal("manager", station.id))

    def refund(amount):
        return lambda: requests.post(
            f"{pay.api_url}/v1/staff/orders/{order_id}/refund",
            headers={**manager, "Idempotency-Key": uuid.uuid4().hex},
            json={"amount_fen": amount, "reason": "并发退款"}, timeout=60)

    def confirm():
        return requests.post(f"{pay.api_url}/v1/staff/orders/{order_id}/confirm", headers=confirmer,
                             json={"actual_amount_fen": 12000}, timeout=60)

    answers = all_at_once([refund(4000) for _ in range(10)] + [confirm])

    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 202, 409, 422}, [a.text for a in answers if a.status_code >= 500]
    assert any(s == 202 for s in statuses)
    settled = wait_for(lambda: (o := order_store.get_order(order_id)).refund_pending_fen == 0 and o,
                       timeout_s=30)
    records = dynamodb.scan(TableName="fuel-local-refunds", FilterExpression="order_id = :o",
                            ExpressionAttributeValues={":o": {"S": order_id}})["Items"]
    requested = sum(int(r["amount_fen"]["N"]) for r in records if r["status"]["S"] != "CLOSED")
    at_wechatpay = sum(pay.sandbox.refunds[no].refund for no in pay.sandbox.orders[order_id].refund_nos)
    assert requested == settled.refund_reserved_fen == settled.refunded_fen == at_wechatpay
    assert at_wechatpay <= 30000
    if settled.fuelled_at is not None:  # the confirmation got in: the driver pays its amount at most
        assert settled.pay_amount_fen - settled.refunded_fen <= settled.actual_amount_fen


def test_orders_created_at_once_at_one_station_are_each_counted_once(pay):
    station = paystack.seed_station()
    drivers = [paystack.seed_driver() for _ in range(8)]

    def order(driver):
        return lambda: requests.post(f"{pay.api_url}/v1/orders", headers={
            **driver_auth(driver), "Idempotency-Key": uuid.uuid4().hex},
            json={"station_id": station.id, "nozzle_no": 1, "amount_fen": 30000}, timeout=60)

    answers = all_at_once([order(d) for d in drivers])

    # One that lost every retry answers 409 ORDER_BUSY and wrote nothing, so counts nothing.
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    created = [a for a in answers if a.status_code == 201]
    assert created
    assert sum(station_store.read_station(station.id).queue.arrivals.values()) == len(created)


def test_fuellings_confirmed_at_once_at_one_station_each_leave_their_service_time(pay):
    station = paystack.seed_station()
    paid = []
    for _ in range(3):
        created = _create(pay, paystack.seed_driver(), station)
        assert pay.pay(created["payment"]["package"].split("=", 1)[1]).status_code == 200
        paid.append(created["order"]["id"])
    for order_id in paid:
        wait_for(lambda: order_store.get_order(order_id).status == "PAID", timeout_s=30)
    attendant = staff_auth(staff_principal("attendant", station.id))

    def confirm(order_id):
        return lambda: requests.post(f"{pay.api_url}/v1/staff/orders/{order_id}/confirm",
                                     headers=attendant, json={}, timeout=60)

    answers = all_at_once([confirm(o) for o in paid])

    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    confirmed = sum(a.status_code == 200 for a in answers)
    assert confirmed
    queue = station_store.read_station(station.id).queue
    # Paid and fuelled seconds apart: every sample is clamped up to a minute.
    assert (queue.service_samples, queue.service_mean_s) == (confirmed, 60.0)
