"""What the driver hears of an order's change: the notification events a transition owes,
derived from the history events it writes, so every path that makes the same change says the
same thing (a WeChat Pay notification, a query, an expiry run, a wallet order paid as created).

They are written to the outbox in the order's own transaction (services/orders/effects.py), and
each event id names its fact ("paid:<order>", "refund:<out_refund_no>"), so the notifier sends
at most one message per fact however often it is delivered.
"""
from __future__ import annotations

from chalicelib.domain.orders import refund_requests as rr
from chalicelib.domain.orders.events import (
    ORDER_PAID, REFUND_REQUEST_APPROVED, REFUND_REQUEST_AUTO_APPROVED, REFUND_REQUEST_DECLINED,
    REFUND_REQUEST_OPENED, REFUND_SUCCEEDED, Transition)
from chalicelib.services.notifications import events as notifications

# What the driver's subscribe message says of each step of a refund request (a `phrase`: at
# most 5 Han characters).
REQUEST_RESULT = {rr.OPEN: "已受理", rr.APPROVED: "已退款", rr.AUTO_APPROVED: "已退款",
                  rr.DECLINED: "已拒绝"}
_REQUEST_STEPS = frozenset({REFUND_REQUEST_OPENED, REFUND_REQUEST_APPROVED,
                            REFUND_REQUEST_DECLINED, REFUND_REQUEST_AUTO_APPROVED})


def notices(transition: Transition) -> list[dict]:
    """The notification events of a transition about to be written (none for most)."""
    kinds = {event.type for event in transition.events}
    order, found = transition.after, []
    if ORDER_PAID in kinds:
        found.append(notifications.payment_received(order))
    if REFUND_SUCCEEDED in kinds and transition.refund_changed is not None:
        found.append(notifications.refund_arrived(transition.refund_changed[1], order))
    if kinds & _REQUEST_STEPS and order.refund_request_status in REQUEST_RESULT:
        reason = (order.refund_request_answer if order.refund_request_status == rr.DECLINED
                  else order.refund_request_reason) or rr.AUTO_REASON
        found.append(notifications.refund_request_update(
            order, REQUEST_RESULT[order.refund_request_status], reason))
    return found
