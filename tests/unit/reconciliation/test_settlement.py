"""Settlement arithmetic: every bill row lands in exactly one station, so the stations add up."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.reconciliation.settlement import UNATTRIBUTED, OrderFacts, settle, totals
from chalicelib.domain.reconciliation.tradebill import (
    BillPayment, BillRefund, BillSummary, TradeBill)

AT = datetime(2026, 1, 15, 2, tzinfo=timezone.utc)
STATIONS = ("st-a", "st-b", None)  # None: an order we do not know


@st.composite
def bills(draw):
    facts, payments, refunds = {}, [], []
    for i in range(draw(st.integers(0, 12))):
        no, amount = f"FO{i:026d}", draw(st.integers(100, 300_000))
        station = draw(st.sampled_from(STATIONS))
        if station:
            facts[no] = OrderFacts(station, draw(st.sampled_from(("92", "95"))), 40_000,
                                   amount + 500, amount)
        payments.append(BillPayment(i + 1, AT, f"42{i}", no, amount, amount, amount * 6, "0.60%"))
        if draw(st.booleans()):
            back = draw(st.integers(1, amount))
            refunds.append(BillRefund(100 + i, AT, f"42{i}", no, f"50{i}", f"RF{i}", back, back,
                                      "SUCCESS", "ORIGINAL", -back * 6, "0.60%"))
    fee = sum(r.fee_milli_fen for r in payments + refunds)
    paid = sum(p.order_amount_fen for p in payments)
    summary = BillSummary(999, len(payments) + len(refunds), paid,
                          sum(r.refund_amount_fen for r in refunds), 0, fee, paid,
                          sum(r.applied_amount_fen for r in refunds))
    return TradeBill(tuple(payments), tuple(refunds), summary), facts


@given(bills())
def test_stations_add_up_to_the_bill(case):
    bill, facts = case

    stations = settle(bill, facts)

    assert totals(stations) == {
        "orders": len(bill.payments), "paid_fen": bill.summary.order_total_fen,
        "settled_fen": bill.summary.settlement_total_fen,
        "refund_fen": bill.summary.refund_total_fen,
        "fee_milli_fen": bill.summary.fee_total_milli_fen}
    for s in stations:
        assert s.net_fen == s.settled_fen - s.refund_fen - s.fee_fen
        assert sum(g.paid_fen for g in s.grades.values()) == s.paid_fen
        if s.station_id != UNATTRIBUTED:
            assert s.discount_fen == 500 * s.orders
