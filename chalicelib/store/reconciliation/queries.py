"""Reads the daily reconciliation needs: the WeChat Pay orders paid in a time window, the refunds
requested in one, and orders or refunds by the numbers a trade bill names.

A bill has up to hundreds of thousands of rows, so these read raw items with a projection of the
few attributes reconciliation uses (no full Order objects): that keeps a 100,000-order day fast
and small. Indexes (infra/template.yaml):
- orders `by-paid-at` (pay_method, paid_at): sparse, only orders with a payment on record.
- refunds `by-kind-requested` (kind, requested_at): one partition per refund kind.
Index reads are eventually consistent; anything healed is re-read and changed conditionally.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.orders.orders import WECHATPAY
from chalicelib.store.orders.orders import OrderModel
from chalicelib.store.orders.refunds import RefundModel

PAID_INDEX, REFUND_INDEX = "by-paid-at", "by-kind-requested"
SLICES, PARALLEL_READS = 96, 8  # a day read as 15-minute ranges, 8 at a time
_ORDER_FIELDS = ("order_id", "station_id", "status", "grade", "pay_amount_fen", "liters_ml",
                 "pump_amount_fen", "actual_pump_amount_fen", "actual_amount_fen",
                 "transaction_id")
_REFUND_FIELDS = ("out_refund_no", "order_id", "amount_fen", "status", "channel")


class _ByPaidAt(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-paid-at"
        projection = AllProjection()

    pay_method = UnicodeAttribute(hash_key=True)
    paid_at = UTCDateTimeAttribute(range_key=True)


class _ByKindRequested(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-kind-requested"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    requested_at = UTCDateTimeAttribute(range_key=True)


class _Orders(OrderModel):
    """The orders table with the index only reconciliation reads (PynamoDB knows a table's
    indexes from its model, and store/orders/orders.py belongs to the order use cases)."""

    class Meta:
        pass

    by_paid_at = _ByPaidAt()


class _Refunds(RefundModel):
    class Meta:
        pass

    by_kind_requested = _ByKindRequested()


@dataclass(frozen=True, slots=True)
class PaidOrder:
    """An order as reconciliation sees it; out_trade_no is the order id."""

    order_id: str
    station_id: str
    status: str
    grade: str
    pay_amount_fen: int
    liters_ml: int
    pump_amount_fen: int
    actual_pump_amount_fen: int | None
    actual_amount_fen: int | None
    transaction_id: str | None


@dataclass(frozen=True, slots=True)
class RefundLine:
    out_refund_no: str
    order_id: str
    amount_fen: int
    status: str


def _s(item: dict, name: str) -> str | None:
    value = item.get(name)
    return None if value is None or "NULL" in value else value["S"]


def _n(item: dict, name: str) -> int | None:
    value = item.get(name)
    return None if value is None or "NULL" in value else int(value["N"])


def _order(item: dict) -> PaidOrder:
    return PaidOrder(
        order_id=_s(item, "order_id"), station_id=_s(item, "station_id"),
        status=_s(item, "status"), grade=_s(item, "grade"),
        pay_amount_fen=_n(item, "pay_amount_fen"), liters_ml=_n(item, "liters_ml") or 0,
        pump_amount_fen=_n(item, "pump_amount_fen") or 0,
        actual_pump_amount_fen=_n(item, "actual_pump_amount_fen"),
        actual_amount_fen=_n(item, "actual_amount_fen"), transaction_id=_s(item, "transaction_id"))


def _refund(item: dict) -> RefundLine:
    return RefundLine(out_refund_no=_s(item, "out_refund_no"), order_id=_s(item, "order_id"),
                      amount_fen=_n(item, "amount_fen"), status=_s(item, "status"))


def _query(connection, hash_key: str, index: str, condition, fields) -> Iterator[dict]:
    start = None
    while True:
        page = connection.query(hash_key, range_key_condition=condition, index_name=index,
                                attributes_to_get=list(fields), exclusive_start_key=start)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _before(items: Iterable[dict], name: str, attribute, end: datetime) -> Iterator[dict]:
    # BETWEEN includes its upper bound; an item stamped exactly `end` belongs to the next window.
    end_text = attribute.serialize(end)
    return (item for item in items if item[name]["S"] != end_text)


def orders_paid_between(start: datetime, end: datetime) -> list[PaidOrder]:
    """WeChat Pay orders whose payment time is in [start, end), oldest first.

    The window is read as SLICES narrower windows side by side: a busy day is one long index
    range, and short ranges read in parallel finish far sooner than one range paged in turn.
    """
    step = (end - start) / SLICES
    windows = [(start + i * step, end if i == SLICES - 1 else start + (i + 1) * step)
               for i in range(SLICES)]
    connection = _Orders._get_connection()  # resolved once, shared by the reading threads
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        return [order for part in pool.map(lambda w: _paid_in(connection, *w), windows)
                for order in part]


def _paid_in(connection, start: datetime, end: datetime) -> list[PaidOrder]:
    items = _query(connection, WECHATPAY, PAID_INDEX,
                   OrderModel.paid_at.between(start, end), _ORDER_FIELDS + ("paid_at",))
    return [_order(item) for item in _before(items, "paid_at", OrderModel.paid_at, end)]


def refunds_requested_between(start: datetime, end: datetime) -> list[RefundLine]:
    """Refunds of every kind made through WeChat Pay, requested in [start, end).

    A wallet order's refunds go back to the wallet and are never in WeChat Pay's bill."""
    connection = _Refunds._get_connection()
    condition = RefundModel.requested_at.between(start, end)
    return [_refund(item) for kind in rf.REFUND_KINDS
            for item in _before(_query(connection, kind, REFUND_INDEX, condition,
                                       _REFUND_FIELDS + ("requested_at",)),
                                "requested_at", RefundModel.requested_at, end)
            if _s(item, "channel") in (None, WECHATPAY)]


def _int(value) -> int | None:
    return None if value is None else int(value)


def orders_by_id(order_ids: Iterable[str]) -> dict[str, PaidOrder]:
    """The named orders (BatchGetItem by 100, PynamoDB asking again for unprocessed keys)."""
    return {m.order_id: PaidOrder(
        order_id=m.order_id, station_id=m.station_id, status=m.status, grade=m.grade,
        pay_amount_fen=_int(m.pay_amount_fen), liters_ml=_int(m.liters_ml) or 0,
        pump_amount_fen=_int(m.pump_amount_fen) or 0,
        actual_pump_amount_fen=_int(m.actual_pump_amount_fen),
        actual_amount_fen=_int(m.actual_amount_fen), transaction_id=m.transaction_id)
        for m in OrderModel.batch_get(set(order_ids), attributes_to_get=list(_ORDER_FIELDS))}


def refunds_by_no(out_refund_nos: Iterable[str]) -> dict[str, RefundLine]:
    return {m.out_refund_no: RefundLine(out_refund_no=m.out_refund_no, order_id=m.order_id,
                                        amount_fen=_int(m.amount_fen), status=m.status)
            for m in RefundModel.batch_get(set(out_refund_nos), attributes_to_get=list(_REFUND_FIELDS))}
