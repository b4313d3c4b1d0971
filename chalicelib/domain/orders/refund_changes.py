"""Refunds as changes of an order: reserving the money when a refund is requested, and settling
the reservation when WeChat Pay reports the outcome.

A reservation never exceeds `order.refundable_fen`; the store writes it with the order's version
as condition in the transaction that creates the refund record, so two concurrent refunds (or a
refund and a confirmation) cannot both spend the same fen: the later one is re-decided on the
order as the earlier one left it.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.errors import Conflict, InvalidInput, RuleViolation
from chalicelib.domain.orders.events import (
    REFUND_ABNORMAL, REFUND_FAILED, REFUND_REQUESTED, REFUND_SUCCEEDED, Transition)
from chalicelib.domain.orders.orders import (
    CLOSED, FUELLED, MAX_REFUNDS_PER_ORDER, PAID, PARTIALLY_REFUNDED, REFUNDED, Order, step)

REFUNDABLE_STATUSES = (PAID, FUELLED, PARTIALLY_REFUNDED)


def new_refund(order: Order, *, out_refund_no: str, kind: str, amount_fen: int, reason: str,
               at: datetime, actor: str, request_hash: str | None = None) -> rf.Refund:
    return rf.Refund(out_refund_no=out_refund_no, order_id=order.id, kind=kind,
                     amount_fen=amount_fen, total_fen=order.pay_amount_fen, reason=reason,
                     requested_by=actor, requested_at=at, request_hash=request_hash,
                     channel=order.pay_method, after_confirmation=order.fuelled_at is not None)


def reserve(order: Order, changed: Order, refund: rf.Refund) -> Order:
    """`changed` (the order after the rest of its change) with `refund` reserved on it."""
    if refund.amount_fen < 1 or refund.amount_fen > order.refundable_fen:
        raise RuleViolation(f"at most {order.refundable_fen} fen can still be refunded",
                            code="REFUND_ABOVE_REFUNDABLE", field="amount_fen")
    if order.refund_count >= MAX_REFUNDS_PER_ORDER:
        raise RuleViolation(f"an order can be refunded at most {MAX_REFUNDS_PER_ORDER} times",
                            code="TOO_MANY_REFUNDS")
    return replace(changed, refund_reserved_fen=changed.refund_reserved_fen + refund.amount_fen,
                   refund_count=changed.refund_count + 1)


def request_refund(order: Order, *, out_refund_no: str, amount_fen: int, reason: str,
                   at: datetime, actor: str, request_hash: str | None) -> Transition:
    """A manager's refund of part or all of a paid order."""
    if order.status not in REFUNDABLE_STATUSES:
        raise Conflict(f"an order in status {order.status} cannot be refunded",
                       code="ORDER_NOT_REFUNDABLE")
    if not reason.strip() or len(reason) > rf.MAX_REASON_CHARS:
        raise InvalidInput(f"reason must be 1-{rf.MAX_REASON_CHARS} characters",
                           code="REASON_INVALID", field="reason")
    refund = new_refund(order, out_refund_no=out_refund_no, kind=rf.MANUAL, amount_fen=amount_fen,
                        reason=reason, at=at, actor=actor, request_hash=request_hash)
    after, events = step(order, reserve(order, order, refund), [REFUND_REQUESTED], at=at,
                         actor=actor, provider_ids={"out_refund_no": out_refund_no}, reason=reason)
    return Transition(order, after, events, refund_created=refund)


def _status_after_success(order: Order, refund: rf.Refund, refunded_fen: int) -> str:
    if order.status == CLOSED:
        return CLOSED
    if refunded_fen >= order.pay_amount_fen:
        return REFUNDED
    if refund.kind == rf.SETTLEMENT:
        return order.status  # the sale was settled at its real amount: still FUELLED
    return PARTIALLY_REFUNDED


def refund_outcome(order: Order, refund: rf.Refund, status: str, *, at: datetime, actor: str,
                   refund_id: str | None = None,
                   failure_reason: str | None = None) -> Transition | None:
    """Apply WeChat Pay's final word on a refund; None when it was applied before."""
    if refund.order_id != order.id:
        raise ValueError("the refund belongs to another order")
    finished = rf.finish(refund, status, at=at, refund_id=refund_id, failure_reason=failure_reason)
    if finished is None:
        return None
    ids = {"out_refund_no": refund.out_refund_no}
    if finished.refund_id:
        ids["refund_id"] = finished.refund_id
    if status == rf.SUCCESS:
        refunded = order.refunded_fen + refund.amount_fen
        after = replace(order, refunded_fen=refunded,
                        status=_status_after_success(order, refund, refunded))
        if refund.takes_back_points(order.fuelled_at):
            after = replace(after, points_refunded_fen=order.points_refunded_fen + refund.amount_fen)
        kind = REFUND_SUCCEEDED
    elif status == rf.CLOSED:  # refused or closed: the money is free to refund again
        after = replace(order, refund_reserved_fen=order.refund_reserved_fen - refund.amount_fen)
        kind = REFUND_FAILED
    else:  # ABNORMAL: the money left the merchant but did not reach the driver; stays reserved
        after, kind = order, REFUND_ABNORMAL
    final, events = step(order, after, [kind], at=at, actor=actor, provider_ids=ids,
                         reason=failure_reason or refund.reason)
    return Transition(order, final, events, refund_changed=(refund, finished))
