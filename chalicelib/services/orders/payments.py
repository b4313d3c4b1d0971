"""WeChat Pay on the order side: the JSAPI payment, notifications, and applying a paid transaction.

A transaction reported by WeChat Pay (notification, or the answer to a query) moves an order
PENDING_PAYMENT -> PAID exactly once: appid, mchid, amount and payer must match the order, and the
change is one conditional transaction (services/orders/changes.py). A payment for an order that is
already CLOSED is recorded and refunded in full (domain/order_lifecycle.pay). Anything that does
not fit is rejected, never applied, and logged as a security event.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PynamoDBException

from chalicelib import metrics, tracing
from chalicelib.domain import times
from chalicelib.domain.errors import Conflict, DomainError, InvalidInput, UpstreamUnavailable
from chalicelib.domain.orders.lifecycle import PaymentMismatch, pay
from chalicelib.domain.orders.orders import Order
from chalicelib.domain.wallet.topups import is_topup_id
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import InvalidNotification, WeChatPayError, get_wechatpay
from chalicelib.services.orders import refunds
from chalicelib.services.orders.changes import change_order, find_order
from chalicelib.services.orders.jsapi import (
    PAID_STATES, check_merchant, security_event, unavailable)
from chalicelib.services.wallet import topups

class NotificationRejected(InvalidInput):
    """A verified notification that does not fit our records: answered 4xx FAIL."""

    code = "FAIL"


def close_at_wechatpay(order: Order, *, actor: str, now: datetime) -> None:
    """Close the transaction at WeChat Pay before closing the order here.

    If it turns out to be paid, the payment is applied and ORDER_ALREADY_PAID raised.
    """
    try:
        get_wechatpay().close_order(order.out_trade_no)
    except UpstreamUnavailable as err:
        raise unavailable() from err
    except WeChatPayError as err:
        if err.code == "ORDERPAID":
            _apply_quietly(order, actor=actor, now=now)
            raise Conflict("the order was paid meanwhile", code="ORDER_ALREADY_PAID") from err
        if err.code not in ("ORDER_NOT_EXIST", "ORDER_CLOSED"):  # never created, or closed
            raise unavailable() from err


def _apply_quietly(order: Order, *, actor: str, now: datetime) -> None:
    """Apply a payment WeChat Pay just reported; the caller's answer does not depend on it."""
    try:
        sync_payment(order, actor=actor, now=now)
    except PaymentMismatch as err:
        security_event("QUERIED_PAYMENT_MISMATCH", order_id=order.id, reason=err.message)
    except DomainError as err:  # the expiry schedule will find it again
        get_logger().warning("paid order not synced yet", extra={"order_id": order.id,
                                                                  "code": err.code})


@tracing.use_case("apply_payment")
def apply_transaction(transaction: dict, *, actor: str, now: datetime) -> Order:
    """Apply a paid transaction as WeChat Pay reported it; raises PaymentMismatch if it does not fit."""
    check_merchant(transaction)
    if is_topup_id(transaction.get("out_trade_no")):  # a wallet top-up (services/wallet/topups.py)
        return topups.apply_transaction(transaction, actor=actor, now=now)
    order = find_order(str(transaction.get("out_trade_no", "")))
    if order is None:
        raise PaymentMismatch("the transaction names no order of ours")
    if transaction.get("trade_state") not in PAID_STATES:
        return order
    try:
        transaction_id = str(transaction["transaction_id"])
        amount_fen, openid = int(transaction["amount"]["total"]), transaction["payer"]["openid"]
        paid_at = _time(transaction.get("success_time")) or now
    except (KeyError, TypeError, ValueError) as err:
        raise PaymentMismatch(f"the transaction is malformed: {err!r}") from err
    order, transition = change_order(order, lambda current: pay(
        current, transaction_id=transaction_id, paid_at=paid_at, amount_fen=amount_fen,
        openid=openid, at=now, actor=actor))
    if transition is not None and transition.refund_created is not None:
        get_logger().warning("payment arrived after the order was closed; refunding it in full",
                             extra={"order_id": order.id, "transaction_id": transaction_id})
        refunds.submit(transition.refund_created, now=now)
    return order


def sync_payment(order: Order, *, actor: str, now: datetime) -> Order:
    """Ask WeChat Pay about a pending order and apply a payment we were not told about."""
    answer = get_wechatpay().query_order(order.out_trade_no)
    if answer.get("trade_state") in PAID_STATES:
        return apply_transaction(answer, actor=actor, now=now)
    return order


def overdue_state(out_trade_no: str, *, actor: str, now: datetime) -> str:
    """What WeChat Pay says of a transaction past its payment window, for the expiry schedules:
    "paid" (and the payment applied here: its notification was lost), "absent" (never created
    there: nothing to close) or "open" (to be closed there before it is closed here)."""
    try:
        answer = get_wechatpay().query_order(out_trade_no)
    except WeChatPayError as err:
        if err.code != "ORDER_NOT_EXIST":
            raise
        return "absent"
    if answer.get("trade_state") in PAID_STATES:
        apply_transaction(answer, actor=actor, now=now)
        get_logger().warning("payment healed by an expiry schedule",
                             extra={"out_trade_no": out_trade_no})
        return "paid"
    return "absent" if answer.get("trade_state") == "CLOSED" else "open"


@tracing.use_case("payment_notification")
def handle_notification(headers: dict, body: bytes, *, now: datetime | None = None) -> None:
    """Verify, decrypt and apply one notification; raises a DomainError for a 4xx/5xx answer."""
    now = now or times.now()
    try:
        notification = get_wechatpay().parse_notification(headers, body)
    except InvalidNotification as err:
        security_event("NOTIFICATION_NOT_VERIFIED", reason=err.reason)
        metrics.count(metrics.Metric.WEBHOOK_REJECTED, reason=metrics.NOT_VERIFIED)
        raise
    actor = f"wechatpay:{notification.id}"
    try:
        if notification.event_type == "TRANSACTION.SUCCESS":
            apply_transaction(notification.resource, actor=actor, now=now)
        elif notification.event_type.startswith("REFUND.") and is_topup_id(
                notification.resource.get("out_trade_no")):  # a top-up's refund
            topups.apply_refund_notification(notification.event_type, notification.resource,
                                             actor=actor, now=now)
        elif notification.event_type.startswith("REFUND."):
            refunds.apply_notification(notification.event_type, notification.resource,
                                       actor=actor, now=now)
        else:
            get_logger().info("notification ignored", extra={"event_type": notification.event_type})
    except PaymentMismatch as err:
        security_event("NOTIFICATION_MISMATCH", notification_id=notification.id,
                       event_type=notification.event_type, reason=err.message,
                       out_trade_no=notification.resource.get("out_trade_no"))
        metrics.count(metrics.Metric.WEBHOOK_REJECTED, reason=metrics.MISMATCH)
        raise NotificationRejected(err.message) from err
    except PynamoDBException as err:
        get_logger().exception("storage failed while applying a notification")
        raise UpstreamUnavailable("storage is unavailable", code="STORAGE_UNAVAILABLE") from err


def _time(text) -> datetime | None:
    return times.parse_iso(text) if text else None
