"""The stored documents of a reconciled day: what a difference is recorded as when first found."""
from __future__ import annotations

import json

from chalicelib.domain.reconciliation.matching import Difference, Outcome, Seen
from chalicelib.domain.reconciliation.report import first_seen
from chalicelib.store.reconciliation import results as store
from chalicelib.store.reconciliation.results import ReconciliationModel

DAY, ORDER = "2026-01-15", "FO" + "A" * 26
FOUND = Difference("PAID_NOT_RECORDED", ORDER, None, Seen("PENDING_PAYMENT", 30000),
                   Seen("SUCCESS", 30000), "mark_paid", ORDER, "st-a", 3, "4200" + "1" * 24)


def test_a_difference_is_stored_once_as_first_found_with_its_outcome_beside_it(aws):
    entry = store.difference_entry(FOUND.kind, ORDER, None, 3)
    found = first_seen(FOUND, order_id=ORDER, station_id="st-a", order_transaction_id=None,
                       outcome=Outcome.PENDING)

    assert store.record_difference(DAY, entry, found) == Outcome.PENDING
    assert store.set_outcome(DAY, entry, Outcome.PENDING, Outcome.HEALED, "healed")
    again = first_seen(FOUND, order_id=ORDER, station_id="st-a", order_transaction_id="4200",
                       outcome=Outcome.PENDING)
    assert store.record_difference(DAY, entry, again) == Outcome.HEALED

    model = ReconciliationModel.get(DAY, entry, consistent_read=True)
    assert (model.station_id, model.outcome, model.outcome_detail) == ("st-a", "HEALED", "healed")
    assert json.dumps(model.data) == json.dumps({
        "kind": "PAID_NOT_RECORDED", "out_trade_no": ORDER, "out_refund_no": None,
        "order_id": ORDER, "station_id": "st-a", "bill_line": 3,
        "transaction_id": "4200" + "1" * 24,
        "expected": {"status": "PENDING_PAYMENT", "amount_fen": 30000},
        "actual": {"status": "SUCCESS", "amount_fen": 30000}, "action": "mark_paid",
        "order_transaction_id": None})
    (read,) = store.differences(DAY)
    assert (read.outcome, read.expected, read.order_transaction_id) == (
        Outcome.HEALED, Seen("PENDING_PAYMENT", 30000), None)
