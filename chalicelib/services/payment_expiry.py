"""Orders left unpaid past their expiry: heal a lost notification, or close them everywhere.

For each PENDING_PAYMENT order past its expiry (sparse `awaiting-payment` index) WeChat Pay is
asked: paid -> PAID here (the notification was lost); never created there -> CLOSED here;
otherwise closed there first, then CLOSED here. A payment that still slips in after the close
arrives as a notification for a CLOSED order and is refunded in full (services/payments.py).
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import Conflict
from chalicelib.domain.order_lifecycle import close
from chalicelib.domain.orders import Order
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError, get_wechatpay
from chalicelib.services import payments
from chalicelib.services.order_changes import change_order
from chalicelib.store import order_queries

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
    client = get_wechatpay()
    try:
        answer = client.query_order(order.out_trade_no)
    except WeChatPayError as err:
        if err.code != "ORDER_NOT_EXIST":
            raise
        answer = None  # the JSAPI order was never created: nothing to close there
    if answer is not None and answer.get("trade_state") in payments.PAID_STATES:
        payments.apply_transaction(answer, actor=ACTOR, now=now)
        get_logger().warning("payment healed by the expiry schedule", extra={"order_id": order.id})
        return "paid"
    if answer is not None and answer.get("trade_state") != "CLOSED":
        try:
            payments.close_at_wechatpay(order, actor=ACTOR, now=now)
        except Conflict as err:  # paid between the query and the close: applied meanwhile
            if err.code != "ORDER_ALREADY_PAID":
                raise
            return "paid"
    change_order(order, lambda current: close(current, at=now, actor=ACTOR, reason=EXPIRY_REASON))
    return "closed"
