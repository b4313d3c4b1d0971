"""Orders left unpaid past their expiry: heal a lost notification, or close them everywhere.

For each PENDING_PAYMENT order past its expiry (sparse `awaiting-payment` index) WeChat Pay is
asked: paid -> PAID here (the notification was lost); never created there -> CLOSED here;
otherwise closed there first, then CLOSED here. A payment that still slips in after the close
arrives as a notification for a CLOSED order and is refunded in full (services/orders/payments.py).
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders.lifecycle import close
from chalicelib.domain.orders.orders import Order
from chalicelib.observability import get_logger
from chalicelib.services.orders import payments
from chalicelib.services.orders.changes import change_order
from chalicelib.store.orders import queries as order_queries

ACTOR = "job:payment-expiry"
EXPIRY_REASON = "not paid in time"


def expire_pending_orders(now: datetime, *, limit: int = 100) -> dict:
    counts = {"paid": 0, "closed": 0, "failed": 0}
    for order in order_queries.orders_awaiting_payment(now, limit):
        try:
            counts[_settle(order, now)] += 1
        except Exception:  # noqa: BLE001 - one order must not stop the others; next run retries
            get_logger().exception("expiry of an order failed", extra={"order_id": order.id})
            counts["failed"] += 1
    return counts


def _settle(order: Order, now: datetime) -> str:
    state = payments.overdue_state(order.out_trade_no, actor=ACTOR, now=now)
    if state == "paid":
        return "paid"
    if state == "open":
        try:
            payments.close_at_wechatpay(order, actor=ACTOR, now=now)
        except Conflict as err:  # paid between the query and the close: applied meanwhile
            if err.code != "ORDER_ALREADY_PAID":
                raise
            return "paid"
    change_order(order, lambda current: close(current, at=now, actor=ACTOR, reason=EXPIRY_REASON))
    return "closed"
