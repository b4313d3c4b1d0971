"""The shapes of orders, refunds and history entries in answers (API.md), shared by the driver
and staff routes; services/orders/views.py fills them."""
from __future__ import annotations

from typing import Literal

import msgspec


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
    status: str
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
    pay_method: str
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


class OrderPage(msgspec.Struct):
    items: list[OrderView]
    next_cursor: str | None


class RefundView(msgspec.Struct):
    out_refund_no: str
    order_id: str
    kind: str  # SETTLEMENT, MANUAL, LATE_PAYMENT
    amount_fen: int
    reason: str
    status: str  # PROCESSING, SUCCESS, CLOSED, ABNORMAL
    requested_at: str
    finished_at: str | None
    failure_reason: str | None


class RefundAccepted(msgspec.Struct):
    refund: RefundView
    order: OrderView


class OrderEventView(msgspec.Struct):
    seq: int
    type: str
    at: str
    actor: str
    status_before: str | None
    status_after: str
    amounts_before: dict[str, int]
    amounts_after: dict[str, int]
    provider_ids: dict[str, str]
    reason: str | None


class OrderHistory(msgspec.Struct):
    order: OrderView
    items: list[OrderEventView]
