"""Finding 5 (the driver's side): a cap on unpaid orders and top-ups, and WeChat Pay asked
about one pending order at most once per interval however often the driver looks at it."""
from __future__ import annotations

import pytest

from chalicelib.services.orders import drivers
from tests.conftest import reset_caches
from tests.order_flows import create_order, get_order
from tests.unit.wallet.wallet_flows import create_topup


@pytest.fixture
def small_caps(monkeypatch):
    monkeypatch.setenv("DRIVER_MAX_UNPAID_ORDERS", "2")
    monkeypatch.setenv("DRIVER_MAX_UNPAID_TOPUPS", "2")
    reset_caches()


def test_a_driver_cannot_open_unpaid_orders_without_end(pay, station, driver, client, small_caps):
    assert create_order(client, driver, station).status_code == 201
    assert create_order(client, driver, station).status_code == 201

    third = create_order(client, driver, station)

    assert third.status_code == 429 and third.json_body["code"] == "TOO_MANY_UNPAID_ORDERS"


def test_a_retried_order_is_not_counted_twice(pay, station, driver, client, small_caps):
    assert create_order(client, driver, station, key="k-1").status_code == 201
    assert create_order(client, driver, station, key="k-1").status_code == 201
    assert create_order(client, driver, station).status_code == 201


def test_a_driver_cannot_open_unpaid_topups_without_end(pay, driver, client, small_caps):
    assert create_topup(client, driver, 10_000).status_code == 201
    assert create_topup(client, driver, 10_000).status_code == 201

    third = create_topup(client, driver, 10_000)

    assert third.status_code == 429 and third.json_body["code"] == "TOO_MANY_UNPAID_TOPUPS"


def test_reading_a_pending_order_again_and_again_asks_wechat_pay_once(
        pay, station, driver, client, monkeypatch):
    order_id = create_order(client, driver, station).json_body["order"]["id"]
    asked = []
    real = drivers.payments.sync_payment
    monkeypatch.setattr(drivers.payments, "sync_payment",
                        lambda order, **kw: asked.append(order.id) or real(order, **kw))

    for _ in range(5):
        assert get_order(client, driver, order_id)["status"] == "PENDING_PAYMENT"

    assert asked == [order_id]
