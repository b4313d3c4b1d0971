"""What the API shows of orders, refunds and history entries (API.md field names, UTC `Z` times).

Internal fields (openid, request hash, index keys) never leave the server.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from chalicelib.domain.cursors import ORDER_CURSOR_PATTERN
from chalicelib.domain.errors import InvalidInput

from chalicelib.domain.orders.events import OrderEvent
from chalicelib.domain.orders.orders import Order
from chalicelib.domain.orders.refunds import Refund


def utc_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def order_view(order: Order) -> dict:
    return {
        "id": order.id, "out_trade_no": order.out_trade_no, "status": order.status,
        "station_id": order.station_id, "station_name": order.station_name,
        "nozzle_no": order.nozzle_no, "grade": order.grade, "price_fen": order.price_fen,
        "list_price_fen": order.list_price_fen, "pump_amount_fen": order.pump_amount_fen,
        "discount_fen": order.discount_fen, "pay_amount_fen": order.pay_amount_fen,
        "liters_ml": order.liters_ml, "actual_amount_fen": order.actual_amount_fen,
        "actual_pump_amount_fen": order.actual_pump_amount_fen,
        "refunded_fen": order.refunded_fen, "refund_pending_fen": order.refund_pending_fen,
        "pay_method": order.pay_method, "created_at": utc_text(order.created_at),
        "paid_at": utc_text(order.paid_at), "fuelled_at": utc_text(order.fuelled_at),
        "expires_at": utc_text(order.expires_at), "closed_at": utc_text(order.closed_at),
        "close_reason": order.close_reason, "invoice_id": order.invoice_id,
        "member_level": order.member_level, "coupon_id": order.coupon_id,
        "coupon_fen": order.coupon_fen, "points_redeemed": order.points_redeemed,
        "points_fen": order.points_fen, "points_earned": order.points_earned,
        "payee": order.payee, "place_check": order.place_check,
        "place_distance_m": order.place_distance_m, "refund_request": _refund_request(order),
    }


def _refund_request(order: Order) -> dict | None:
    if order.refund_request_status is None:
        return None
    return {"status": order.refund_request_status, "reason": order.refund_request_reason,
            "requested_at": utc_text(order.refund_requested_at),
            "answer": order.refund_request_answer,
            "answered_at": utc_text(order.refund_request_answered_at)}


def refund_view(refund: Refund) -> dict:
    return {
        "out_refund_no": refund.out_refund_no, "order_id": refund.order_id, "kind": refund.kind,
        "amount_fen": refund.amount_fen, "reason": refund.reason, "status": refund.status,
        "requested_at": utc_text(refund.requested_at), "finished_at": utc_text(refund.finished_at),
        "failure_reason": refund.failure_reason,
    }


def event_view(event: OrderEvent) -> dict:
    return {
        "seq": event.seq, "type": event.type, "at": utc_text(event.at), "actor": event.actor,
        "status_before": event.status_before, "status_after": event.status_after,
        "amounts_before": dict(event.amounts_before), "amounts_after": dict(event.amounts_after),
        "provider_ids": dict(event.provider_ids), "reason": event.reason,
    }


# A page position is the last order's (created_at, id), written "20261126T054400123456-FO...":
# opaque to clients, and exactly describable by a pattern (ORDER_CURSOR_PATTERN, also in the
# API schema), so a cursor of the right shape is always one DynamoDB accepts as a start key.
_CURSOR = re.compile(ORDER_CURSOR_PATTERN)
# A UTC time as PynamoDB stores it, e.g. 2026-11-26T05:44:00.123456+0000.
_STORED = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                     r"\.([0-9]{6})\+0000")


def page_cursor(position: dict | None) -> str | None:
    """The next_cursor of a page of orders ({order_id, created_at} of its last one)."""
    if not position:
        return None
    parts = _STORED.fullmatch(position["created_at"])
    if parts is None:
        raise ValueError(f"unexpected stored time {position['created_at']!r}")
    y, mo, d, h, mi, s, us = parts.groups()
    return f"{y}{mo}{d}T{h}{mi}{s}{us}-{position['order_id']}"


def cursor_position(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    if not _CURSOR.fullmatch(cursor):
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")
    t, order_id = cursor.split("-", 1)
    created_at = f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[9:11]}:{t[11:13]}:{t[13:15]}.{t[15:21]}+0000"
    return {"order_id": order_id, "created_at": created_at}
