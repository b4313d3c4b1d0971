"""Orders: the table `fuel-<stage>-orders` and its indexes, and the one way an order changes.

Indexes:
- `by-user` (user_id, created_at): a driver's orders, newest first.
- `by-station-day` (station_day = "<station>#<Asia/Shanghai date>", created_at): a station's day.
- `awaiting-payment` (awaiting_payment_shard, expires_at): sparse, only PENDING_PAYMENT orders
  carry the shard; the expiry schedule finds orders past their expiry here.
- `awaiting-shipping` (shipping_shard, fuelled_at): sparse, confirmed orders whose shipping info
  WeChat has not yet acknowledged.
- `open-refund-requests` (refund_request_station, refund_requested_at): sparse, orders whose
  driver's refund request is OPEN; a manager reads a station's, the schedule reads them all.

`commit(transition)` writes a change as ONE transaction: the order (conditional on the version
and invoice_id read, or on not existing), each history event (conditional on not existing), and a refund record
created or moved on (conditional on its status read). `StaleWrite` means someone else changed
the order first: the caller reads it again and decides again.
"""
from __future__ import annotations

from collections.abc import Callable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.domain.orders.events import Transition
from chalicelib.domain.orders.ids import shard_of
from chalicelib.domain.orders.orders import PENDING_PAYMENT, Order, OrderStatus, PayMethod
from chalicelib.domain.times import business_day
from chalicelib.domain.orders.refund_requests import OPEN as OPEN_REQUEST
from chalicelib.store.orders import events as order_events, refunds
from chalicelib.store.base import StageModel, error_code, get_connection

SHARDS = 8
_RETRYABLE = {"ConditionalCheckFailed", "TransactionConflict"}


class StaleWrite(Exception):
    """The order (or refund) changed since it was read; nothing was written."""


class _ByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class _ByStationDay(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-station-day"
        projection = AllProjection()

    station_day = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class _AwaitingPayment(GlobalSecondaryIndex):
    class Meta:
        index_name = "awaiting-payment"
        projection = AllProjection()

    awaiting_payment_shard = UnicodeAttribute(hash_key=True)
    expires_at = UTCDateTimeAttribute(range_key=True)


class _AwaitingShipping(GlobalSecondaryIndex):
    class Meta:
        index_name = "awaiting-shipping"
        projection = AllProjection()

    shipping_shard = UnicodeAttribute(hash_key=True)
    fuelled_at = UTCDateTimeAttribute(range_key=True)


class _OpenRefundRequests(GlobalSecondaryIndex):
    class Meta:
        index_name = "open-refund-requests"
        projection = AllProjection()

    refund_request_station = UnicodeAttribute(hash_key=True)
    refund_requested_at = UTCDateTimeAttribute(range_key=True)


class OrderModel(StageModel):
    logical_name = "orders"

    class Meta:
        pass

    order_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    openid = UnicodeAttribute()
    station_id = UnicodeAttribute()
    station_name = UnicodeAttribute()
    station_day = UnicodeAttribute()
    status = UnicodeAttribute()
    grade = UnicodeAttribute()
    nozzle_no = NumberAttribute()
    price_fen = NumberAttribute()
    list_price_fen = NumberAttribute()
    pump_amount_fen = NumberAttribute()
    discount_fen = NumberAttribute()
    pay_amount_fen = NumberAttribute()
    liters_ml = NumberAttribute()
    actual_amount_fen = NumberAttribute(null=True)
    actual_pump_amount_fen = NumberAttribute(null=True)
    refunded_fen = NumberAttribute(default=0)
    refund_reserved_fen = NumberAttribute(default=0)
    refund_count = NumberAttribute(default=0)
    pay_method = UnicodeAttribute()
    out_trade_no = UnicodeAttribute()
    transaction_id = UnicodeAttribute(null=True)
    description = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    promotion_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    paid_at = UTCDateTimeAttribute(null=True)
    fuelled_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)
    awaiting_payment_shard = UnicodeAttribute(null=True)
    shipping_shard = UnicodeAttribute(null=True)
    shipping_uploaded_at = UTCDateTimeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    member_level = UnicodeAttribute(null=True)
    coupon_id = UnicodeAttribute(null=True)
    coupon_fen = NumberAttribute(default=0)
    points_redeemed = NumberAttribute(default=0)
    points_fen = NumberAttribute(default=0)
    wallet_paid_fen = NumberAttribute(default=0)
    wallet_bonus_fen = NumberAttribute(default=0)
    points_earned = NumberAttribute(default=0)
    points_basis_fen = NumberAttribute(null=True)
    points_refunded_fen = NumberAttribute(default=0)
    payee = UnicodeAttribute(null=True)
    place_check = UnicodeAttribute(null=True)
    place_distance_m = NumberAttribute(null=True)
    refund_request_status = UnicodeAttribute(null=True)
    refund_request_reason = UnicodeAttribute(null=True)
    refund_requested_at = UTCDateTimeAttribute(null=True)
    refund_request_answer = UnicodeAttribute(null=True)
    refund_request_answered_at = UTCDateTimeAttribute(null=True)
    refund_request_station = UnicodeAttribute(null=True)
    price_version = NumberAttribute(null=True)
    version = NumberAttribute(default=0)

    by_user = _ByUser()
    by_station_day = _ByStationDay()
    awaiting_payment = _AwaitingPayment()
    awaiting_shipping = _AwaitingShipping()
    open_refund_requests = _OpenRefundRequests()


_NUMBERS = ("nozzle_no", "price_fen", "list_price_fen", "pump_amount_fen", "discount_fen",
            "pay_amount_fen", "liters_ml", "refunded_fen", "refund_reserved_fen", "refund_count",
            "coupon_fen", "points_redeemed", "points_fen", "wallet_paid_fen", "wallet_bonus_fen",
            "points_earned", "points_refunded_fen", "version")
_OPTIONAL_NUMBERS = ("actual_amount_fen", "actual_pump_amount_fen", "place_distance_m",
                     "points_basis_fen", "price_version")
_PLAIN = ("user_id", "openid", "station_id", "station_name", "status", "grade", "pay_method",
          "transaction_id", "description", "request_hash", "promotion_id", "created_at",
          "expires_at", "paid_at", "fuelled_at", "closed_at", "close_reason",
          "shipping_uploaded_at", "invoice_id", "member_level", "coupon_id", "payee",
          "place_check", "refund_request_status", "refund_request_reason", "refund_requested_at",
          "refund_request_answer", "refund_request_answered_at")


def station_day(station_id: str, created_at) -> str:
    return f"{station_id}#{business_day(created_at)}"


def to_model(order: Order) -> OrderModel:
    values = {name: getattr(order, name) for name in _NUMBERS + _OPTIONAL_NUMBERS + _PLAIN}
    return OrderModel(
        order.id, out_trade_no=order.out_trade_no,
        station_day=station_day(order.station_id, order.created_at),
        awaiting_payment_shard=shard_of(order.id, SHARDS)
        if order.status == PENDING_PAYMENT else None,
        shipping_shard=shard_of(order.id, SHARDS) if order.shipping_due else None,
        refund_request_station=order.station_id
        if order.refund_request_status == OPEN_REQUEST else None, **values)


def to_order(model: OrderModel) -> Order:
    values = {name: int(getattr(model, name) or 0) for name in _NUMBERS}
    values.update({name: None if getattr(model, name) is None else int(getattr(model, name))
                   for name in _OPTIONAL_NUMBERS})
    values.update({name: getattr(model, name) for name in _PLAIN})
    values.update(status=OrderStatus(model.status), pay_method=PayMethod(model.pay_method))
    return Order(id=model.order_id, shipping_due=model.shipping_shard is not None, **values)


def get_order(order_id: str) -> Order | None:
    return OrderModel.get_or_none(order_id, to_order)


def read(order_id: str):
    """A batch read (store/batch.py) of the order: get_order's answer."""
    from chalicelib.store.batch import Read

    return Read(OrderModel, order_id, lambda model: None if model is None else to_order(model))


def _changes(model_cls, before, after) -> list:
    actions = []
    for name, attr in model_cls.get_attributes().items():
        if attr.is_hash_key:
            continue
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            actions.append(attr.remove() if new is None else attr.set(new))
    return actions


def _unchanged_since(order: Order):
    """The order is as it was read: same version, and no invoice reserved or released it since
    (invoices set `invoice_id` without a version, and a refund must know about the invoice)."""
    invoice = (OrderModel.invoice_id == order.invoice_id if order.invoice_id
               else OrderModel.invoice_id.does_not_exist())
    return (OrderModel.version == order.version) & invoice


def commit(transition: Transition, also: Callable | None = None) -> None:
    """Write one change of one order atomically; raises StaleWrite if it lost a race.

    `also(tx)` adds the change's other records to the same transaction (the wallet and points
    movements and the coupon it spends or gives back), so they happen with it or not at all.
    """
    after = to_model(transition.after)
    try:
        with TransactWrite(connection=get_connection()) as tx:
            if transition.before is None:
                tx.save(after, condition=OrderModel.order_id.does_not_exist())
            else:
                tx.update(OrderModel(after.order_id),
                          actions=_changes(OrderModel, to_model(transition.before), after),
                          condition=_unchanged_since(transition.before))
            for event in transition.events:
                tx.save(order_events.to_model(event),
                        condition=order_events.OrderEventModel.order_id.does_not_exist())
            if transition.refund_created is not None:
                tx.save(refunds.to_model(transition.refund_created),
                        condition=refunds.RefundModel.out_refund_no.does_not_exist())
            if transition.refund_changed is not None:
                old, new = transition.refund_changed
                tx.update(refunds.RefundModel(old.out_refund_no),
                          actions=_changes(refunds.RefundModel, refunds.to_model(old),
                                           refunds.to_model(new)),
                          condition=refunds.RefundModel.status == old.status)
            if also is not None:
                also(tx)
    except TransactWriteError as err:
        codes = {r.code for r in err.cancellation_reasons if r is not None}
        if codes and codes <= _RETRYABLE | {"None"}:
            raise StaleWrite(str(err)) from err
        raise


def mark_shipping_uploaded(order_id: str, at) -> bool:
    """Take the order off the shipping index; False if it was not (or no longer) on it."""
    try:
        OrderModel(order_id).update(
            actions=[OrderModel.shipping_shard.remove(), OrderModel.shipping_uploaded_at.set(at)],
            condition=OrderModel.shipping_shard.exists())
    except UpdateError as err:
        if error_code(err) in ("ConditionalCheckFailedException",
                                       "TransactionConflictException"):
            return False
        raise
    return True
