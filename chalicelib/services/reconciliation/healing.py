"""Healing a payment WeChat Pay billed but our order does not show as paid.

Both cases go through the webhook's own path (services/payments.sync_payment): WeChat Pay is
asked about the order and its answer applied with the conditional PENDING_PAYMENT -> PAID
transition; for an order we already CLOSED, that same transition records the payment and
requests the full refund with the order's one fixed out_refund_no (`<order>-L`). Applying it
twice changes nothing, so a heal is safe to retry after any failure.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import Conflict, UpstreamUnavailable
from chalicelib.domain.orders.ids import late_payment_refund_no
from chalicelib.domain.orders.lifecycle import PaymentMismatch
from chalicelib.domain.orders.orders import CLOSED
from chalicelib.domain.reconciliation.matching import Outcome
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError
from chalicelib.services.orders import payments
from chalicelib.services.orders.changes import find_order

ACTOR = "job:reconciliation"
PENDING, HEALED, ALREADY_APPLIED, NOT_PAID, REFUSED, FAILED, REPORTED = tuple(Outcome)
RETRYABLE = (PENDING, FAILED)  # a later run tries these again


def heal_payment(order_id: str | None, *, now: datetime) -> tuple[str, str]:
    """(outcome, detail) of making our order agree with WeChat Pay's record of its payment."""
    order = find_order(order_id or "")
    if order is None:
        return REFUSED, "the order no longer exists"
    try:
        after = payments.sync_payment(order, actor=ACTOR, now=now)
    except PaymentMismatch as err:  # amount, payer or merchant differ: a person must look
        return REFUSED, err.message
    except (UpstreamUnavailable, WeChatPayError, Conflict) as err:
        get_logger().warning("reconciliation heal postponed", extra={
            "order_id": order.id, "error": repr(err)})
        return FAILED, f"not healed yet, tried again next run: {err.code}"
    if after.transaction_id is None:
        return NOT_PAID, "WeChat Pay does not report the order paid"
    if order.transaction_id is not None:
        return ALREADY_APPLIED, f"the payment was already recorded ({after.status})"
    if after.status == CLOSED:
        get_logger().warning("reconciliation refunded a payment made after close",
                             extra={"order_id": order.id})
        return HEALED, f"paid after close: refunded in full as {late_payment_refund_no(order.id)}"
    get_logger().warning("reconciliation recorded a lost payment", extra={"order_id": order.id})
    return HEALED, f"marked {after.status} with transaction {after.transaction_id}"
