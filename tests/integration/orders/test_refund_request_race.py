"""A driver's refund request answered by a manager at the moment the schedule, run twice, finds
it unanswered: on DynamoDB Local the order is refunded exactly once."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib.jobs import refund_requests as refund_request_jobs
from chalicelib.store.orders import events as order_events
from chalicelib.store.orders import orders as order_store
from tests import paystack
from tests.paystack import driver_auth, staff_auth, staff_principal, wait_for
from tests.races import all_at_once

pytestmark = pytest.mark.slow


@pytest.fixture
def dynamodb(real_dynamodb):
    """Races need DynamoDB's atomic conditional writes: DynamoDB Local only."""
    return real_dynamodb


def _paid_order_with_open_request(pay, driver, station) -> str:
    created = requests.post(f"{pay.api_url}/v1/orders", headers={
        **driver_auth(driver), "Idempotency-Key": uuid.uuid4().hex},
        json={"station_id": station.id, "nozzle_no": 1, "amount_fen": 20000}, timeout=30)
    assert created.status_code == 201, created.text
    order_id = created.json()["order"]["id"]
    pay.pay(created.json()["payment"]["package"].split("=", 1)[1])
    wait_for(lambda: order_store.get_order(order_id).status == "PAID")
    asked = requests.post(f"{pay.api_url}/v1/orders/{order_id}/refund-request",
                          headers=driver_auth(driver), json={"reason": "油枪没出油"}, timeout=30)
    assert asked.status_code == 200, asked.text
    assert asked.json()["refund_request"]["status"] == "OPEN"
    return order_id


def test_schedule_twice_and_a_manager_at_once_refund_exactly_once(pay, dynamodb):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    order_id = _paid_order_with_open_request(pay, driver, station)
    later = (datetime.now(timezone.utc) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    manager = staff_auth(staff_principal("manager", station.id))

    def approve():
        answer = requests.post(f"{pay.api_url}/v1/staff/orders/{order_id}/refund-request/approve",
                               headers=manager, timeout=60)
        return answer.status_code, answer.json().get("code")

    answers = all_at_once([lambda: refund_request_jobs.refund_unanswered(later),
                           lambda: refund_request_jobs.refund_unanswered(later), approve])

    # Whoever wrote first refunded; the manager who came second is told it is no longer open.
    manager_won = answers[2] == (200, None)
    assert manager_won or answers[2] == (409, "REFUND_REQUEST_NOT_OPEN"), answers[2]
    assert sum(a["refunded"] for a in answers[:2]) == (0 if manager_won else 1)
    settled = wait_for(lambda: (o := order_store.get_order(order_id)).refund_pending_fen == 0
                       and o.refunded_fen > 0 and o, timeout_s=30)
    assert settled.status == "REFUNDED" and settled.refunded_fen == settled.pay_amount_fen
    types = [e.type for e in order_events.list_events(order_id)]
    assert types.count("REFUND_REQUESTED") == 1 and types.count("REFUND_SUCCEEDED") == 1
    closers = [t for t in types if t in ("REFUND_REQUEST_APPROVED", "REFUND_REQUEST_AUTO_APPROVED")]
    assert len(closers) == 1
    records = dynamodb.scan(TableName="fuel-local-refunds", FilterExpression="order_id = :o",
                            ExpressionAttributeValues={":o": {"S": order_id}})["Items"]
    assert len(records) == 1
    assert [pay.sandbox.refunds[no].refund for no in pay.sandbox.orders[order_id].refund_nos] \
        == [settled.pay_amount_fen]


def test_a_confirmation_waits_until_the_request_is_declined(pay, dynamodb):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    order_id = _paid_order_with_open_request(pay, driver, station)
    attendant = staff_auth(staff_principal("attendant", station.id))
    manager = staff_auth(staff_principal("manager", station.id))

    def confirm():
        return requests.post(f"{pay.api_url}/v1/staff/orders/{order_id}/confirm",
                             headers=attendant, json={}, timeout=30)

    refused = confirm()
    declined = requests.post(f"{pay.api_url}/v1/staff/orders/{order_id}/refund-request/decline",
                             headers=manager, json={"reason": "监控显示已加油"}, timeout=30)

    assert (refused.status_code, refused.json()["code"]) == (409, "REFUND_REQUESTED")
    assert declined.status_code == 200
    assert declined.json()["refund_request"]["answer"] == "监控显示已加油"
    assert confirm().json()["status"] == "FUELLED"
