"""Station staff and orders: a station's orders of a day, confirm a fuelling, refund, history."""
from __future__ import annotations

import datetime
from typing import Annotated

import msgspec
from chalice import Blueprint

from chalicelib.api.contract import literal_of
from chalicelib.api.http import accepted, conditional, current_staff, route
from chalicelib.api.order_schemas import OrderHistory, OrderPage, OrderView, RefundAccepted
from chalicelib.api.shapes import shaped
from chalicelib.domain.cursors import ORDER_CURSOR_PATTERN
from chalicelib.domain.orders.orders import OrderStatus
from chalicelib.domain import times

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

Status = literal_of(OrderStatus)


class StaffOrderQuery(msgspec.Struct, forbid_unknown_fields=True):
    station_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    status: Status | None = None
    date: datetime.date | None = None  # YYYY-MM-DD, an Asia/Shanghai business day
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    # next_cursor of the previous page, passed back unchanged
    cursor: Annotated[str, msgspec.Meta(pattern=ORDER_CURSOR_PATTERN)] | None = None


class ConfirmRequest(msgspec.Struct, forbid_unknown_fields=True):
    """`{}` confirms the whole prepaid amount; a smaller pump amount refunds the difference."""
    actual_amount_fen: Annotated[int, msgspec.Meta(ge=1)] | None = None  # what the pump shows
    liters_ml: Annotated[int, msgspec.Meta(ge=1)] | None = None


class RefundRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount_fen: Annotated[int, msgspec.Meta(ge=1)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


_ORDER_ERRORS = {403: ("NOT_YOUR_STATION",), 404: ("ORDER_NOT_FOUND",)}


@route(bp, "/v1/staff/orders", methods=["GET"], auth="staff", query=StaffOrderQuery,
       ok=OrderPage, conditional=True,
       summary="Orders of one of the staff member's stations on a business day (ETag: an "
               "unchanged page answers 304 to If-None-Match)",
       errors={400: ("STATION_REQUIRED", "INVALID_CURSOR"),
               403: ("NOT_YOUR_STATION",)})
def list_station_orders(query: StaffOrderQuery):
    from chalicelib.services.orders import staff as staff_orders

    request = bp.current_request
    staff = current_staff(request)
    return conditional(request, shaped(staff_orders.list_station_orders(
        staff, station_id=query.station_id, status=query.status, day=query.date,
        limit=query.limit, cursor=query.cursor, now=times.now()), OrderPage))


@route(bp, "/v1/staff/orders/{order_id}/confirm", methods=["POST"], auth="staff",
       body=ConfirmRequest, ok=OrderView,
       summary="Confirm the fuelling; a smaller actual amount refunds the difference (above "
               "10% of the payment or 50 yuan by default, a manager's confirmation)",
       errors={400: ("ACTUAL_AMOUNT_INVALID", "LITERS_INVALID"), 404: ("ORDER_NOT_FOUND",),
               403: ("NOT_YOUR_STATION", "CONFIRMATION_NEEDS_MANAGER"),
               409: ("ORDER_NOT_PAID", "ORDER_CLOSED", "ORDER_ALREADY_CONFIRMED",
                     "ORDER_REFUNDED", "ORDER_BUSY", "REFUND_REQUESTED"),
               422: ("ACTUAL_AMOUNT_ABOVE_PAID", "REFUND_ABOVE_REFUNDABLE", "TOO_MANY_REFUNDS")})
def confirm_fuelling(order_id, body: ConfirmRequest):
    from chalicelib.services.orders import fuelling

    staff = current_staff(bp.current_request)
    return shaped(fuelling.confirm_fuelling(staff, order_id, body.actual_amount_fen,
                                            body.liters_ml, now=times.now()), OrderView)


@route(bp, "/v1/staff/orders/{order_id}/refund", methods=["POST"], auth="staff",
       body=RefundRequest, ok=RefundAccepted, status=202, headers=("Idempotency-Key",),
       summary="Refund part or all of a paid order (manager; header Idempotency-Key)",
       errors={400: ("IDEMPOTENCY_KEY_REQUIRED", "IDEMPOTENCY_KEY_INVALID", "REASON_INVALID"),
               403: ("ROLE_NOT_ALLOWED", "NOT_YOUR_STATION"), 404: ("ORDER_NOT_FOUND",),
               409: ("ORDER_NOT_REFUNDABLE", "IDEMPOTENCY_KEY_REUSED", "ORDER_BUSY"),
               422: ("REFUND_ABOVE_REFUNDABLE", "TOO_MANY_REFUNDS")})
def refund_order(order_id, body: RefundRequest):
    from chalicelib.services.orders import refunds

    request = bp.current_request
    staff = current_staff(request)
    return accepted(shaped(refunds.request_manual_refund(
        staff, order_id, body.amount_fen, body.reason, request.headers.get("idempotency-key"),
        now=times.now()), RefundAccepted))


@route(bp, "/v1/staff/orders/{order_id}/history", methods=["GET"], auth="staff",
       ok=OrderHistory, summary="Every change of an order: who, when, amounts before and after",
       errors=_ORDER_ERRORS)
def order_history(order_id):
    from chalicelib.services.orders import staff as staff_orders

    return shaped(staff_orders.order_history(current_staff(bp.current_request), order_id),
                  OrderHistory)
