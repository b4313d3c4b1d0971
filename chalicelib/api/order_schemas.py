"""The shapes of orders, refunds and history entries in answers (API.md), shared by the driver
and staff routes, which shape the services' domain objects into them (api/shapes.py)."""
from __future__ import annotations

from typing import Literal

import msgspec

from chalicelib.api.contract import one_of
from chalicelib.domain.orders.events import OrderEventType
from chalicelib.domain.orders.orders import OrderStatus, PayMethod
from chalicelib.domain.orders.refunds import RefundKind, RefundStatus


class RefundRequestView(msgspec.Struct):
    """The driver's request to get back a payment for a fill that never happened."""
    status: Literal["OPEN", "APPROVED", "DECLINED", "AUTO_APPROVED"]
    reason: str  # the driver's
    requested_at: str
    answer: str | None  # why the manager declined
    answered_at: str | None


class OrderView(msgspec.Struct):
    id: str
    out_trade_no: str
    status: one_of(OrderStatus)
    station_id: str
    station_name: str
    nozzle_no: int
    grade: str
    price_fen: int
    list_price_fen: int
    pump_amount_fen: int  # what the pump showed when ordering
    discount_fen: int
    pay_amount_fen: int
    liters_ml: int  # final once confirmed
    actual_amount_fen: int | None  # what the fuel finally cost, once confirmed
    actual_pump_amount_fen: int | None  # what the pump showed at confirmation
    refunded_fen: int
    refund_pending_fen: int  # refunds requested and not yet final
    pay_method: one_of(PayMethod)
    created_at: str
    paid_at: str | None
    fuelled_at: str | None
    expires_at: str
    closed_at: str | None
    close_reason: str | None
    invoice_id: str | None
    member_level: str | None = None  # the level whose member price applied
    coupon_id: str | None = None
    coupon_fen: int = 0  # part of discount_fen
    points_redeemed: int = 0
    points_fen: int = 0  # part of discount_fen
    points_earned: int = 0  # once confirmed
    payee: str | None = None  # the company the driver pays (WeChat Pay shows it too)
    # How the driver's place was checked: PUMP_CODE, NEAR, FAR_CONFIRMED, NO_LOCATION
    place_check: Literal["PUMP_CODE", "NEAR", "FAR_CONFIRMED", "NO_LOCATION"] | None = None
    place_distance_m: int | None = None
    refund_request: RefundRequestView | None = None
    # "SKIPPED" on a read of a pending order whose payment could not be checked at WeChat Pay
    # this time (slow, or the order busy with a notification): read again; absent otherwise.
    payment_check: str | None = None


class OrderPage(msgspec.Struct):
    items: list[OrderView]
    next_cursor: str | None


class RefundView(msgspec.Struct):
    out_refund_no: str
    order_id: str
    kind: one_of(RefundKind)
    amount_fen: int
    reason: str
    status: one_of(RefundStatus)
    requested_at: str
    finished_at: str | None
    failure_reason: str | None


class RefundAccepted(msgspec.Struct):
    refund: RefundView
    order: OrderView


class OrderEventView(msgspec.Struct):
    seq: int
    type: one_of(OrderEventType)
    at: str
    actor: str
    status_before: one_of(OrderStatus) | None
    status_after: one_of(OrderStatus)
    amounts_before: dict[str, int]
    amounts_after: dict[str, int]
    provider_ids: dict[str, str]
    reason: str | None


class OrderHistory(msgspec.Struct):
    order: OrderView
    items: list[OrderEventView]
