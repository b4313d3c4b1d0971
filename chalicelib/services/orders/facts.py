"""What a written order change tells operators: business metrics (chalicelib/metrics.py) and
the order id on the use case's trace. Called once the change is committed, by the two places
that write order changes (creation in services/orders/drivers.py, every later change in
services/orders/effects.py), so no use case has to remember it."""
from __future__ import annotations

from chalicelib import metrics, tracing
from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.orders.events import Transition
from chalicelib.domain.orders.orders import PAID

M = metrics.Metric


def record(transition: Transition) -> None:
    before, after = transition.before, transition.after
    tracing.annotate(order_id=after.id)
    if before is None:
        metrics.count(M.ORDERS_CREATED)
    if after.status == PAID and (before is None or before.status != PAID):
        metrics.count(M.ORDERS_PAID)
        metrics.amount(M.PAYMENT_AMOUNT_FEN, after.pay_amount_fen)
    if transition.refund_created is not None:
        metrics.count(M.REFUNDS_REQUESTED)
    if transition.refund_changed is not None:
        old, new = transition.refund_changed
        if new.status == old.status:
            return
        if new.status == rf.SUCCESS:
            metrics.count(M.REFUNDS_SUCCEEDED)
        elif new.status in (rf.ABNORMAL, rf.CLOSED):
            metrics.count(M.REFUNDS_FAILED, status=str(new.status))
