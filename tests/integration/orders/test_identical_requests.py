"""Identical requests at the same instant (a double tap, a client retrying while the first is
still in flight), over HTTP against the app on DynamoDB Local: one effect, and every caller told
about that one effect. A read that cannot check a pending payment says so and the next one heals."""
from __future__ import annotations

import uuid

import pytest
import requests

from chalicelib.domain.errors import Conflict
from chalicelib.services.orders import payments
from chalicelib.store.orders import events as order_events
from chalicelib.store.orders import orders as order_store
from chalicelib.store.wallet import topups as topup_store
from tests import paystack
from tests.paystack import driver_auth, staff_auth, staff_principal, wait_for
from tests.races import all_at_once

pytestmark = pytest.mark.slow
COPIES = 6


@pytest.fixture
def dynamodb(real_dynamodb):
    """Races need DynamoDB's atomic conditional writes: DynamoDB Local only."""
    return real_dynamodb


def _post(url, headers, body, key):
    return lambda: requests.post(url, headers={**headers, "Idempotency-Key": key}, json=body,
                                 timeout=120)


def _paid_order(pay, driver, station) -> str:
    created = requests.post(f"{pay.api_url}/v1/orders", headers={
        **driver_auth(driver), "Idempotency-Key": uuid.uuid4().hex},
        json={"station_id": station.id, "nozzle_no": 1, "amount_fen": 30000}, timeout=30).json()
    order_id = created["order"]["id"]
    assert pay.pay(created["payment"]["package"].split("=", 1)[1]).status_code == 200
    wait_for(lambda: order_store.get_order(order_id).status == "PAID")
    return order_id


def test_one_order_key_sent_at_once_creates_one_order_and_answers_it_to_all(pay):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    body = {"station_id": station.id, "nozzle_no": 1, "amount_fen": 20000}

    key = uuid.uuid4().hex
    answers = all_at_once([_post(f"{pay.api_url}/v1/orders", driver_auth(driver), body, key)]
                          * COPIES)

    assert [a.status_code for a in answers] == [201] * COPIES, [a.text for a in answers]
    assert len({a.json()["order"]["id"] for a in answers}) == 1
    assert len({a.json()["payment"]["package"] for a in answers}) == 1
    order_id = answers[0].json()["order"]["id"]
    assert [e.type for e in order_events.list_events(order_id)] == ["ORDER_CREATED"]


def test_one_refund_key_sent_at_once_refunds_once_and_names_that_refund_to_all(pay):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    order_id = _paid_order(pay, driver, station)
    manager = staff_auth(staff_principal("manager", station.id))
    url = f"{pay.api_url}/v1/staff/orders/{order_id}/refund"

    answers = all_at_once([_post(url, manager, {"amount_fen": 5000, "reason": "双击退款"},
                                 uuid.uuid4().hex)] * COPIES)

    assert [a.status_code for a in answers] == [202] * COPIES, [a.text for a in answers]
    assert len({a.json()["refund"]["out_refund_no"] for a in answers}) == 1
    settled = wait_for(lambda: (o := order_store.get_order(order_id)).refund_pending_fen == 0
                       and o)
    assert settled.refunded_fen == 5000
    assert [e.type for e in order_events.list_events(order_id)].count("REFUND_REQUESTED") == 1


def test_one_topup_key_sent_at_once_creates_one_topup_and_answers_it_to_all(pay, roomy_caps):
    driver = paystack.seed_driver()

    answers = all_at_once([_post(f"{pay.api_url}/v1/wallet/topups", driver_auth(driver),
                                 {"amount_fen": 10000}, uuid.uuid4().hex)] * COPIES)
    assert sorted(a.status_code for a in answers) == [201] * COPIES  # different keys: six
    key = uuid.uuid4().hex
    answers = all_at_once([_post(f"{pay.api_url}/v1/wallet/topups", driver_auth(driver),
                                 {"amount_fen": 10000}, key)] * COPIES)

    assert [a.status_code for a in answers] == [201] * COPIES, [a.text for a in answers]
    [topup_id] = {a.json()["topup"]["id"] for a in answers}
    assert topup_store.get_topup(topup_id).amount_fen == 10000


def test_a_read_that_cannot_check_the_payment_says_so_and_the_next_read_heals(pay, monkeypatch,
                                                                            roomy_caps):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    created = requests.post(f"{pay.api_url}/v1/orders", headers={
        **driver_auth(driver), "Idempotency-Key": uuid.uuid4().hex},
        json={"station_id": station.id, "nozzle_no": 1, "amount_fen": 30000}, timeout=30).json()
    order_id = created["order"]["id"]
    with pay.sandbox.lock:
        pay.sandbox.suppressed.add(order_id)
    assert pay.pay(created["payment"]["package"].split("=", 1)[1]).status_code == 200
    real_sync, busy_once = payments.sync_payment, []

    def busy_then_real(order, **kwargs):
        if not busy_once:  # the notification's own change holds the order this time
            busy_once.append(order.id)
            raise Conflict("the order is being changed by someone else; try again",
                           code="ORDER_BUSY")
        return real_sync(order, **kwargs)

    monkeypatch.setattr(payments, "sync_payment", busy_then_real)
    url = f"{pay.api_url}/v1/orders/{order_id}"

    first = requests.get(url, headers=driver_auth(driver), timeout=30)
    second = requests.get(url, headers=driver_auth(driver), timeout=30)

    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["payment_check"]) == ("PENDING_PAYMENT",
                                                                       "SKIPPED")
    assert second.status_code == 200, second.text
    assert (second.json()["status"], second.json().get("payment_check")) == ("PAID", None)
