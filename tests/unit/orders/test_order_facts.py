"""What a written order change counts: a refund's outcome once, ABNORMAL apart from CLOSED (the
refund-abnormal alarm reads status=ABNORMAL); a repeat of the same status counts nothing."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.orders.events import Transition
from chalicelib.services.orders import facts
from tests.emf import metric_values


def _order(status):
    return SimpleNamespace(id="o-1", status=status, pay_amount_fen=30000)


def _refund_change(old, new):
    return Transition(_order("FUELLED"), _order("FUELLED"), (),
                      refund_changed=(SimpleNamespace(status=old), SimpleNamespace(status=new)))


@pytest.mark.parametrize("status, metric, dimension", [
    (rf.SUCCESS, "RefundsSucceeded", {}),
    (rf.ABNORMAL, "RefundsFailed", {"status": "ABNORMAL"}),
    (rf.CLOSED, "RefundsFailed", {"status": "CLOSED"}),
])
def test_a_refund_outcome_is_counted_once_by_status(capsys, status, metric, dimension):
    facts.record(_refund_change(rf.PROCESSING, status))
    facts.record(_refund_change(status, status))

    log = capsys.readouterr().out
    assert metric_values(log, metric, **dimension) == [1.0]
    assert metric_values(log, "OrdersPaid") == [] and metric_values(log, "OrdersCreated") == []


def test_a_new_paid_order_counts_created_paid_and_its_amount(capsys):
    facts.record(Transition(None, _order("PAID"), ()))
    facts.record(Transition(_order("PAID"), _order("FUELLED"), ()))

    log = capsys.readouterr().out
    assert metric_values(log, "OrdersCreated") == [1.0]
    assert metric_values(log, "OrdersPaid") == [1.0]
    assert metric_values(log, "PaymentAmountFen") == [30000.0]
