"""Finding 2: an attendant's confirmation cannot refund most of an order; a large settlement
refund needs a manager, and the history names the manager who approved it."""
from __future__ import annotations

import pytest

from chalicelib.store.orders import orders as order_store
from tests.order_flows import confirm, history, paid_order
from tests.paystack import staff_principal


@pytest.fixture
def attendant(station):
    return staff_principal("attendant", station.id)


@pytest.fixture
def manager(station):
    return staff_principal("manager", station.id)


def test_an_attendant_confirming_one_fen_refunds_nothing(pay, station, driver, client, attendant):
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    answer = confirm(client, attendant, order["id"], {"actual_amount_fen": 1})

    assert answer.status_code == 403
    assert answer.json_body["code"] == "CONFIRMATION_NEEDS_MANAGER"
    stored = order_store.get_order(order["id"])
    assert stored.status == "PAID" and stored.refund_reserved_fen == 0
    assert order["id"] + "-S" not in pay.sandbox.refunds


def test_an_attendant_refund_above_the_amount_cap_needs_a_manager(
        pay, station, driver, client, attendant, monkeypatch):
    monkeypatch.setenv("CONFIRM_REFUND_MAX_FEN", "1000")
    from chalicelib.settings import get_settings
    get_settings.cache_clear()
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    answer = confirm(client, attendant, order["id"], {"actual_amount_fen": 28900})  # 11 yuan back

    assert answer.status_code == 403
    assert answer.json_body["code"] == "CONFIRMATION_NEEDS_MANAGER"


def test_an_attendant_may_confirm_a_small_difference(pay, station, driver, client, attendant):
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    answer = confirm(client, attendant, order["id"], {"actual_amount_fen": 27000})  # 10% back

    assert answer.status_code == 200
    assert answer.json_body["refund_pending_fen"] == 3000


def test_a_manager_confirms_a_large_difference_and_the_history_names_them(
        pay, station, driver, client, attendant, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30000)
    assert confirm(client, attendant, order["id"], {"actual_amount_fen": 100}).status_code == 403

    answer = confirm(client, manager, order["id"], {"actual_amount_fen": 100})

    assert answer.status_code == 200 and answer.json_body["refund_pending_fen"] == 29900
    fuelled = [e for e in history(client, manager, order["id"]) if e["type"] == "ORDER_FUELLED"]
    assert fuelled[0]["actor"] == f"staff:{manager.subject}:manager"
