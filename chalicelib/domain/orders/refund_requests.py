"""A driver's request to get back a payment for a fill that never happened, as pure transitions.

    (none) -> OPEN -> APPROVED        the station's manager refunds in full
                   -> DECLINED        the manager says why not (the driver sees it); final
                   -> AUTO_APPROVED   nobody answered in time and the order is still unconfirmed

One request per order. While it is OPEN the fuelling cannot be confirmed (lifecycle.confirm),
so "unanswered and still unconfirmed" is simply "still OPEN". Approving and the automatic
refund both reserve the refund in the same conditional write that closes the request, so
whichever comes first refunds and the other finds the request no longer OPEN: exactly once.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.orders.events import (
    REFUND_REQUEST_APPROVED, REFUND_REQUEST_AUTO_APPROVED, REFUND_REQUEST_DECLINED,
    REFUND_REQUEST_OPENED, REFUND_REQUESTED, Transition)
from chalicelib.domain.orders.ids import requested_refund_no
from chalicelib.domain.orders.orders import PAID, PARTIALLY_REFUNDED, Order, step
from chalicelib.domain.orders.refund_changes import new_refund, reserve

OPEN, APPROVED, DECLINED, AUTO_APPROVED = "OPEN", "APPROVED", "DECLINED", "AUTO_APPROVED"
REQUEST_STATUSES = (OPEN, APPROVED, DECLINED, AUTO_APPROVED)
BLOCKS_CONFIRMATION = (OPEN, APPROVED, AUTO_APPROVED)  # only a declined request lets it through
MAX_TEXT_CHARS = 80  # the refund's reason goes to WeChat Pay, whose limit is 80
AUTO_REASON = "加油未完成，退款申请超时未处理，自动全额退款"


def _text(value: str, field: str) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text or len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"{field} must be 1-{MAX_TEXT_CHARS} characters",
                           code="REASON_INVALID", field=field)
    return text


def open_request(order: Order, *, reason: str, at: datetime, actor: str) -> Transition | None:
    """The driver asks; the same request again is answered as made (None: nothing to write)."""
    reason = _text(reason, "reason")
    if order.refund_request_status == OPEN and order.refund_request_reason == reason:
        return None
    if order.refund_request_status is not None:
        raise Conflict(f"a refund request for this order is already {order.refund_request_status}",
                       code="REFUND_REQUEST_EXISTS")
    if order.fuelled_at is not None:
        raise Conflict("the station confirmed this fuelling", code="ORDER_ALREADY_CONFIRMED")
    if order.status not in (PAID, PARTIALLY_REFUNDED) or order.refundable_fen < 1:
        raise Conflict(f"an order in status {order.status} cannot be refunded",
                       code="ORDER_NOT_REFUNDABLE")
    asked = replace(order, refund_request_status=OPEN, refund_request_reason=reason,
                    refund_requested_at=at)
    after, events = step(order, asked, [REFUND_REQUEST_OPENED], at=at, actor=actor, reason=reason)
    return Transition(order, after, events)


def _still_open(order: Order) -> None:
    if order.refund_request_status != OPEN:
        raise Conflict("there is no open refund request for this order" if
                       order.refund_request_status is None else
                       f"the refund request is already {order.refund_request_status}",
                       code="REFUND_REQUEST_NOT_OPEN")


def _refunded(order: Order, status: str, event: str, *, at: datetime, actor: str,
              reason: str) -> Transition:
    """Close the request as `status` and reserve the full refundable amount in the same change."""
    closed = replace(order, refund_request_status=status, refund_request_answered_at=at)
    if order.refundable_fen < 1:  # refunded meanwhile by other means: nothing left to send
        after, events = step(order, closed, [event], at=at, actor=actor, reason=reason)
        return Transition(order, after, events)
    refund = new_refund(order, out_refund_no=requested_refund_no(order.id), kind=rf.MANUAL,
                        amount_fen=order.refundable_fen, reason=reason, at=at, actor=actor)
    after, events = step(order, reserve(order, closed, refund), [event, REFUND_REQUESTED], at=at,
                         actor=actor, provider_ids={"out_refund_no": refund.out_refund_no},
                         reason=reason, between=(closed,))
    return Transition(order, after, events, refund_created=refund)


def approve(order: Order, *, at: datetime, actor: str) -> Transition | None:
    """The manager refunds in full; approving an approved request again changes nothing."""
    if order.refund_request_status == APPROVED:
        return None
    _still_open(order)
    return _refunded(order, APPROVED, REFUND_REQUEST_APPROVED, at=at, actor=actor,
                     reason=order.refund_request_reason or AUTO_REASON)


def decline(order: Order, *, answer: str, at: datetime, actor: str) -> Transition | None:
    answer = _text(answer, "reason")
    if order.refund_request_status == DECLINED and order.refund_request_answer == answer:
        return None
    _still_open(order)
    declined = replace(order, refund_request_status=DECLINED, refund_request_answer=answer,
                       refund_request_answered_at=at)
    after, events = step(order, declined, [REFUND_REQUEST_DECLINED], at=at, actor=actor,
                         reason=answer)
    return Transition(order, after, events)


def is_overdue(order: Order, now: datetime, timeout: timedelta) -> bool:
    return (order.refund_request_status == OPEN and order.refund_requested_at is not None
            and order.refund_requested_at + timeout <= now)


def refund_overdue(order: Order, *, now: datetime, timeout: timedelta,
                   actor: str) -> Transition | None:
    """The schedule's decision: None unless the request is still OPEN and past its time."""
    if not is_overdue(order, now, timeout):
        return None
    return _refunded(order, AUTO_APPROVED, REFUND_REQUEST_AUTO_APPROVED, at=now, actor=actor,
                     reason=AUTO_REASON)
