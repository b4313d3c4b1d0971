"""The order path on moto and on DynamoDB Local: creating and confirming an order each take at
most three DynamoDB round trips (counted, never timed), and a price changed between the order's
read and its write is never charged silently: 409 PRICE_CHANGED with the new quote, nothing
written, and the same request then orders at the new price."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from chalicelib.domain.orders.ids import order_id_for
from chalicelib.domain.orders.quotes import PriceChanged
from chalicelib.domain.stations.queueing import arrival_bucket
from chalicelib.services.orders import creation, fuelling, payments
from chalicelib.services.orders import drivers as order_service
from chalicelib.services.orders.drivers import OrderRequest
from chalicelib.services.stations import admin as station_admin
from chalicelib.settings import get_settings
from chalicelib.store import throttles
from chalicelib.store.base import StageModel, get_connection
from chalicelib.store.orders import orders as order_store
from chalicelib.store.stations import stations as station_store
from chalicelib.store.stations.stations import StationModel
from tests import paystack


class RoundTrips:
    """DynamoDB requests sent (botocore `before-send`, one per HTTP request, retries included)
    by every client the store uses."""

    def __init__(self):
        self.sent = 0

    def _on_send(self, **_):
        self.sent += 1

    @contextmanager
    def counting(self):
        clients = {id(c): c for c in [get_connection().client] + [
            model._get_connection().connection.client for model in _models(StageModel)]}
        for client in clients.values():
            client.meta.events.register("before-send.dynamodb", self._on_send,
                                        unique_id="round-trip-test")
        self.sent = 0
        try:
            yield self
        finally:
            for client in clients.values():
                client.meta.events.unregister("before-send.dynamodb",
                                              unique_id="round-trip-test")


def _models(base) -> list:
    found = []
    for cls in base.__subclasses__():
        if getattr(cls, "logical_name", None):
            found.append(cls)
        found += _models(cls)
    return found


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _create(driver, station, key: str, amount_fen: int = 30000,
            now: datetime | None = None) -> dict:
    return order_service.create_order(
        driver.id, OrderRequest(station_id=station.id, nozzle_no=1, amount_fen=amount_fen), key,
        now=now or _now())


def _paid(pay, created: dict) -> str:
    """Pay the order at the sandbox and deliver the notification here (the app is not asked)."""
    order_id = created["order"].id
    with pay.sandbox.lock:
        pay.sandbox.suppressed.add(order_id)
    assert pay.pay(created["payment"]["package"].split("=", 1)[1]).status_code == 200
    payments.handle_notification(*pay.notification("TRANSACTION.SUCCESS",
                                                   pay.sandbox.query_order(order_id)))
    assert order_store.get_order(order_id).status == "PAID"
    return order_id


def test_create_and_confirm_each_take_at_most_three_round_trips(pay):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    attendant = paystack.staff_principal("attendant", station.id)
    # Both orders arrive at one instant: on a busy machine the two calls could otherwise fall
    # into two of the station's 10-minute arrival buckets.
    arrived = _now()
    _create(paystack.seed_driver(), station, uuid.uuid4().hex, now=arrived)  # clients made once

    with RoundTrips().counting() as creating:
        created = _create(driver, station, uuid.uuid4().hex, now=arrived)
    order_id = _paid(pay, created)
    with RoundTrips().counting() as confirming:
        confirmed = fuelling.confirm_fuelling(attendant, order_id, 28000, None, now=_now())

    assert 1 <= creating.sent <= 3, creating.sent  # at least one: the counter does count
    assert 1 <= confirming.sent <= 3, confirming.sent
    # What the calls no longer made on their own now rides in the order's transactions.
    assert confirmed.status == "FUELLED" and confirmed.actual_amount_fen == 28000
    queue = station_store.read_station(station.id).queue
    assert queue.arrivals == {arrival_bucket(created["order"].created_at): 2}
    assert queue.service_samples == 1 and queue.service_mean_s == 60.0  # clamped to a minute
    assert created["order"].price_version == station.version


def test_the_next_order_at_the_station_stores_the_service_times_confirmations_left_pending(pay):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    attendant = paystack.staff_principal("attendant", station.id)
    paid = [_paid(pay, _create(driver, station, uuid.uuid4().hex)) for _ in range(2)]
    for order_id in paid:
        fuelling.confirm_fuelling(attendant, order_id, None, None, now=_now())
    pending = StationModel.get(station.id, consistent_read=True)
    assert (pending.service_samples, int(pending.service_pending_n)) == (0, 2)

    _create(driver, station, uuid.uuid4().hex)

    stored = StationModel.get(station.id, consistent_read=True)
    assert (stored.service_samples, float(stored.service_mean_s)) == (2, 60.0)
    assert int(stored.service_pending_n) == 0 and float(stored.service_pending_sum_s) == 0
    queue = station_store.read_station(station.id).queue
    assert (queue.service_samples, queue.service_mean_s, queue.pending_samples) == (2, 60.0, 0)


def _price_changes_after_the_read(monkeypatch, change) -> None:
    """Let the order read the station, then change it before the order is written."""
    real, done = creation.read_facts, []

    def read_then_change(*args, **kwargs):
        facts = real(*args, **kwargs)
        if not done:
            done.append(change())
        return facts
    monkeypatch.setattr(creation, "read_facts", read_then_change)


def test_a_price_changed_after_the_read_answers_price_changed_and_writes_nothing(pay,
                                                                                 monkeypatch):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    manager = paystack.staff_principal("manager", station.id)
    _price_changes_after_the_read(monkeypatch, lambda: station_admin.update_prices(
        manager, station.id, [("92", 718, 698)]))
    key = uuid.uuid4().hex

    with pytest.raises(PriceChanged) as refused:
        _create(driver, station, key)

    assert refused.value.details["price_fen"] == 698 and refused.value.details["list_price_fen"] \
        == 698 and refused.value.details["price_version"] == station.version + 1
    assert refused.value.details["pay_amount_fen"] == 30000
    assert refused.value.details["liters_ml"] == 42980  # 300 yuan at 6.98 buys more
    order_id = order_id_for(driver.id, key)
    assert order_store.get_order(order_id) is None
    assert station_store.read_station(station.id).queue.arrivals == {}
    assert throttles.count_distinct(  # only the probe: the refused order was never counted
        f"unpaid-orders#{driver.id}", "probe", window_s=get_settings().order_payment_ttl_s,
        now=_now()) == 1

    again = _create(driver, station, key)["order"]  # the same request orders at the new price

    assert (again.id, again.price_fen, again.price_version) == (order_id, 698,
                                                                 station.version + 1)


def test_a_change_that_leaves_the_order_s_price_as_it_was_does_not_refuse_it(pay, monkeypatch):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    manager = paystack.staff_principal("manager", station.id)
    _price_changes_after_the_read(monkeypatch, lambda: station_admin.update_prices(
        manager, station.id, [("95", 768, 748)]))  # another grade

    order = _create(driver, station, uuid.uuid4().hex)["order"]

    assert (order.price_fen, order.price_version) == (718, station.version + 1)
