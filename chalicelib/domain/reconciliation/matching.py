"""Match a parsed trade bill with our orders and refunds and classify every difference.

Pure, no I/O. The caller passes every order a bill row names (looked up by out_trade_no) plus
the orders we hold as paid for the business day, and the refunds accepted that day. The result
is sorted, so reconciling the same input twice gives an equal result.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from chalicelib.domain.money import div_round_half_up
from chalicelib.domain.orders.orders import (
    CLOSED, FUELLED, PAID, PARTIALLY_REFUNDED, PENDING_PAYMENT, REFUNDED)
from chalicelib.domain.orders.refunds import RefundStatus
from chalicelib.domain.reconciliation.tradebill import (
    MILLI_FEN_PER_FEN, BillPayment, BillRefund, TradeBill)

PAID_NOT_RECORDED = "PAID_NOT_RECORDED"  # WeChat Pay was paid, our order does not say so
MISSING_IN_BILL = "MISSING_IN_BILL"  # we hold the order as paid, the bill does not have it
AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
REFUND_MISMATCH = "REFUND_MISMATCH"
DUPLICATE = "DUPLICATE"
UNKNOWN_ORDER = "UNKNOWN_ORDER"

MARK_PAID = "mark_paid"  # query WeChat Pay, then the webhook's conditional PENDING -> PAID
REFUND = "refund"  # paid after we closed the order: give the money back
QUERY_PAYMENT = "query_payment"
QUERY_REFUND = "query_refund"
INVESTIGATE = "investigate"  # nothing is safe to do automatically



class Outcome(StrEnum):
    """What became of a difference (services/reconciliation/healing.py)."""
    PENDING = "PENDING"  # not acted on yet
    HEALED = "HEALED"
    ALREADY_APPLIED = "ALREADY_APPLIED"
    NOT_PAID = "NOT_PAID"
    REFUSED = "REFUSED"
    FAILED = "FAILED"  # tried, to be tried again
    REPORTED = "REPORTED"  # for a person: nothing is done automatically


RECORDED_PAID = frozenset({PAID, FUELLED, PARTIALLY_REFUNDED, REFUNDED})
# WeChat Pay cuts the bill when it accepts a refund and never updates the row, so a refund
# it printed as PROCESSING may have ended any way since; any other status must equal ours.
BILL_REFUND_SNAPSHOT = RefundStatus.PROCESSING


@dataclass(frozen=True, slots=True)
class OrderRecord:
    out_trade_no: str
    order_id: str
    station_id: str
    status: str
    pay_amount_fen: int  # amount.total sent to WeChat Pay, before any refund
    transaction_id: str | None = None


@dataclass(frozen=True, slots=True)
class RefundRecord:
    out_refund_no: str
    out_trade_no: str
    amount_fen: int  # amount.refund we asked for
    status: str  # SUCCESS | PROCESSING | ABNORMAL | CLOSED


@dataclass(frozen=True, slots=True)
class Seen:
    """One side of a difference: a status and an amount."""

    status: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    out_trade_no: str
    out_refund_no: str | None
    expected: Seen | None  # what our records say; None when we have no record
    actual: Seen | None  # what the bill says; None when the bill has no row
    action: str
    order_id: str | None = None
    station_id: str | None = None
    bill_line: int | None = None
    transaction_id: str | None = None  # the bill's, which mark_paid needs


@dataclass(frozen=True, slots=True)
class ReconciliationResult:
    matched_count: int
    matched_amount_fen: int
    refunds_matched_count: int
    refunds_matched_amount_fen: int
    fee_total_milli_fen: int  # WeChat Pay prints fees to 0.001 fen
    differences: tuple[Difference, ...]

    @property
    def fees_fen(self) -> int:
        return div_round_half_up(self.fee_total_milli_fen, MILLI_FEN_PER_FEN)


def _index(records: Iterable, key: str) -> dict:
    indexed = {}
    for record in records:
        if getattr(record, key) in indexed:
            raise ValueError(f"two of our records share {key} {getattr(record, key)!r}")
        indexed[getattr(record, key)] = record
    return indexed


def _payment(row: BillPayment, order: OrderRecord | None) -> Difference | None:
    actual = Seen("SUCCESS", row.order_amount_fen)
    if order is None:
        return Difference(UNKNOWN_ORDER, row.out_trade_no, None, None, actual, INVESTIGATE,
                          bill_line=row.line, transaction_id=row.transaction_id)
    expected = Seen(order.status, order.pay_amount_fen)
    if order.pay_amount_fen != row.order_amount_fen:
        kind, action = AMOUNT_MISMATCH, INVESTIGATE
    elif order.transaction_id and order.transaction_id != row.transaction_id:
        kind, action = DUPLICATE, INVESTIGATE  # paid twice: once as we recorded, once as billed
    elif order.status in RECORDED_PAID:
        return None
    else:
        kind = PAID_NOT_RECORDED
        action = {PENDING_PAYMENT: MARK_PAID, CLOSED: REFUND}.get(order.status, INVESTIGATE)
    return Difference(kind, row.out_trade_no, None, expected, actual, action, order.order_id,
                      order.station_id, row.line, row.transaction_id)


def _refund(row: BillRefund, ours: RefundRecord | None) -> Difference | None:
    if (ours is not None and ours.amount_fen == row.applied_amount_fen
            and ours.out_trade_no == row.out_trade_no
            and row.status in (BILL_REFUND_SNAPSHOT, ours.status)):
        return None
    expected = None if ours is None else Seen(ours.status, ours.amount_fen)
    return Difference(REFUND_MISMATCH, row.out_trade_no, row.out_refund_no, expected,
                      Seen(row.status, row.applied_amount_fen), QUERY_REFUND, bill_line=row.line,
                      transaction_id=row.transaction_id)


def _duplicate(row: BillPayment | BillRefund, seen: Seen, out_refund_no: str | None) -> Difference:
    return Difference(DUPLICATE, row.out_trade_no, out_refund_no, None, seen, INVESTIGATE,
                      bill_line=row.line, transaction_id=row.transaction_id)


def _match_payments(bill: TradeBill,
                    ours: dict[str, OrderRecord]) -> tuple[int, int, list[Difference]]:
    matched, matched_fen, found, billed = 0, 0, [], set()
    for row in bill.payments:
        if row.out_trade_no in billed:
            found.append(_duplicate(row, Seen("SUCCESS", row.order_amount_fen), None))
        elif (difference := _payment(row, ours.get(row.out_trade_no))) is not None:
            found.append(difference)
        else:
            matched, matched_fen = matched + 1, matched_fen + row.order_amount_fen
        billed.add(row.out_trade_no)
    found += [Difference(MISSING_IN_BILL, order.out_trade_no, None,
                         Seen(order.status, order.pay_amount_fen), None, QUERY_PAYMENT,
                         order.order_id, order.station_id, None, order.transaction_id)
              for order in ours.values()
              if order.status in RECORDED_PAID and order.out_trade_no not in billed]
    return matched, matched_fen, found


def _match_refunds(bill: TradeBill,
                   ours: dict[str, RefundRecord]) -> tuple[int, int, list[Difference]]:
    matched, matched_fen, found, billed = 0, 0, [], set()
    for row in bill.refunds:
        if row.out_refund_no in billed:
            seen = Seen(row.status, row.applied_amount_fen)
            found.append(_duplicate(row, seen, row.out_refund_no))
        elif (difference := _refund(row, ours.get(row.out_refund_no))) is not None:
            found.append(difference)
        else:
            matched, matched_fen = matched + 1, matched_fen + row.applied_amount_fen
        billed.add(row.out_refund_no)
    found += [Difference(REFUND_MISMATCH, refund.out_trade_no, refund.out_refund_no,
                         Seen(refund.status, refund.amount_fen), None, QUERY_REFUND)
              for refund in ours.values()
              if refund.status == RefundStatus.SUCCESS and refund.out_refund_no not in billed]
    return matched, matched_fen, found


def _with_order(difference: Difference, orders: dict[str, OrderRecord]) -> Difference:
    order = orders.get(difference.out_trade_no)
    if order is None or difference.order_id is not None:
        return difference
    return replace(difference, order_id=order.order_id, station_id=order.station_id)


def reconcile(bill: TradeBill, orders: Iterable[OrderRecord],
              refunds: Iterable[RefundRecord]) -> ReconciliationResult:
    """Every bill row is matched or becomes a difference, and so is every paid order of ours."""
    ours = _index(orders, "out_trade_no")
    matched, matched_fen, payment_differences = _match_payments(bill, ours)
    refunds_matched, refunds_fen, refund_differences = _match_refunds(
        bill, _index(refunds, "out_refund_no"))
    found = [_with_order(d, ours) for d in payment_differences + refund_differences]
    found.sort(key=lambda d: (d.kind, d.out_trade_no, d.out_refund_no or "", d.bill_line or 0))
    return ReconciliationResult(matched, matched_fen, refunds_matched, refunds_fen,
                                bill.summary.fee_total_milli_fen, tuple(found))
