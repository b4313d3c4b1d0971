"""The order store on both engines: one transaction per change, conditional on what was read,
immutable history, and the sparse indexes the schedules read."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.orders.ids import manual_refund_no, order_id_for
from chalicelib.domain.orders.lifecycle import close, confirm, create, pay
from chalicelib.domain.orders.refund_changes import refund_outcome, request_refund
from chalicelib.domain.orders.orders import Order
from chalicelib.domain.orders.refunds import SUCCESS
from chalicelib.store.orders import events as order_events, queries as order_queries, refunds
from chalicelib.store.orders import orders as store

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _new(station_id: str = "ty-001", created_at: datetime = NOW) -> Order:
    order = Order(id=order_id_for(f"u_{uuid.uuid4().hex}", "k"), user_id="u_1", openid="o-1",
                  station_id=station_id, station_name="S", grade="92", nozzle_no=1, price_fen=718,
                  list_price_fen=718, pump_amount_fen=30000, discount_fen=0, pay_amount_fen=30000,
                  liters_ml=41783, pay_method="wechatpay", description="d", request_hash="h",
                  created_at=created_at, expires_at=created_at + timedelta(minutes=15))
    transition = create(order, actor="driver:u_1")
    store.commit(transition)
    return transition.after


def _pay(order: Order) -> Order:
    transition = pay(order, transaction_id=f"4200{uuid.uuid4().int % 10**16}", paid_at=NOW,
                     amount_fen=order.pay_amount_fen, openid="o-1", at=NOW, actor="wechatpay:EV")
    store.commit(transition)
    return transition.after


def test_created_order_reads_back_equal_with_its_history(dynamodb):
    order = _new()

    assert store.get_order(order.id) == order
    assert [(e.seq, e.type) for e in order_events.list_events(order.id)] == [(1, "ORDER_CREATED")]


def test_creating_the_same_order_twice_writes_once(dynamodb):
    order = _new()

    with pytest.raises(store.StaleWrite):
        store.commit(create(replace(order, pay_amount_fen=1), actor="driver:u_2"))

    assert store.get_order(order.id).pay_amount_fen == 30000


def test_a_change_decided_on_a_stale_read_writes_nothing(dynamodb):
    order = _new()
    _pay(order)

    with pytest.raises(store.StaleWrite):
        store.commit(close(order, at=NOW, actor="driver:u_1", reason="cancelled"))

    assert store.get_order(order.id).status == "PAID"
    assert [e.type for e in order_events.list_events(order.id)] == ["ORDER_CREATED", "ORDER_PAID"]


def test_a_history_entry_is_never_overwritten(dynamodb):
    order = _new()
    paid = pay(order, transaction_id="4200A", paid_at=NOW, amount_fen=30000, openid="o-1", at=NOW,
               actor="wechatpay:EV")
    # A writer that lost track of the version would try to write entry 1 again.
    bogus = replace(paid, before=replace(order, version=0),
                    events=(replace(paid.events[0], seq=1),))

    with pytest.raises(store.StaleWrite):
        store.commit(bogus)

    assert order_events.list_events(order.id)[0].type == "ORDER_CREATED"


def test_refund_reservation_and_record_are_written_together(dynamodb):
    paid = _pay(_new())
    requested = request_refund(paid, out_refund_no=manual_refund_no(paid.id, uuid.uuid4().hex),
                               amount_fen=1000, reason="r", at=NOW, actor="staff:m", request_hash="h")

    store.commit(requested)

    refund = refunds.get_refund(requested.refund_created.out_refund_no)
    assert refund == requested.refund_created
    assert store.get_order(paid.id).refund_reserved_fen == 1000
    done = refund_outcome(requested.after, refund, SUCCESS, at=NOW, actor="wechatpay:EV2",
                          refund_id="503R")
    store.commit(done)
    assert refunds.get_refund(refund.out_refund_no).status == SUCCESS
    assert store.get_order(paid.id).refunded_fen == 1000
    with pytest.raises(store.StaleWrite):  # the refund moved on: the same outcome cannot apply again
        store.commit(replace(done, before=store.get_order(paid.id),
                             after=replace(done.after, version=done.after.version + 1),
                             events=(replace(done.events[0], seq=done.after.version + 1),)))


def test_pending_orders_are_on_the_awaiting_payment_index_until_paid(dynamodb):
    pending, paid = _new(), _pay(_new())

    due = {o.id for o in order_queries.orders_awaiting_payment(NOW + timedelta(minutes=16), 1000)}
    not_yet = {o.id for o in order_queries.orders_awaiting_payment(NOW + timedelta(minutes=14), 1000)}

    assert pending.id in due and paid.id not in due
    assert pending.id not in not_yet


def test_confirmed_orders_wait_for_shipping_until_marked(dynamodb):
    fuelled = confirm(_pay(_new()), actual_pump_amount_fen=None, liters_ml=None, at=NOW,
                      actor="staff:a")
    store.commit(fuelled)

    assert fuelled.after.id in {o.id for o in order_queries.orders_awaiting_shipping(1000)}
    assert store.mark_shipping_uploaded(fuelled.after.id, NOW) is True
    assert store.mark_shipping_uploaded(fuelled.after.id, NOW) is False
    assert fuelled.after.id not in {o.id for o in order_queries.orders_awaiting_shipping(1000)}
    assert store.get_order(fuelled.after.id).version == fuelled.after.version  # not a money change


def test_station_day_pages_newest_first_and_filters_by_status(dynamodb):
    station_id = f"ts-{uuid.uuid4().hex[:8]}"
    orders = [_new(station_id, NOW + timedelta(seconds=i)) for i in range(3)]
    _pay(orders[1])
    day = store.station_day(station_id, NOW)

    first, position = order_queries.orders_of_station_day(day, 2)
    rest, _ = order_queries.orders_of_station_day(day, 2, position=position)
    paid, _ = order_queries.orders_of_station_day(day, 10, status="PAID")

    assert [o.id for o in first + rest] == [o.id for o in reversed(orders)]
    assert [o.id for o in paid] == [orders[1].id]


def test_a_change_decided_before_an_invoice_reserved_the_order_writes_nothing(dynamodb):
    paid = _pay(_new())
    store.OrderModel(paid.id).update(actions=[store.OrderModel.invoice_id.set("INV-1")])

    with pytest.raises(store.StaleWrite):
        store.commit(request_refund(paid, out_refund_no=manual_refund_no(paid.id, "k"),
                                    amount_fen=100, reason="r", at=NOW, actor="staff:m",
                                    request_hash="h"))

    assert store.get_order(paid.id).refund_reserved_fen == 0
