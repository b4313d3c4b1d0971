"""A reconciled day as it is stored and read back: each station's settlement, each difference
with what became of it, the day's figures. store/reconciliation/results.py decodes its stored
documents into these types, and the reconciliation route shapes them into its answer
(api/shapes.py), so the answer's fields are written once, in its response type.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.reconciliation.matching import Difference, Outcome, Seen
from chalicelib.domain.reconciliation.settlement import StationSettlement


@dataclass(frozen=True, slots=True)
class GradeDay:
    grade: str
    orders: int
    liters_ml: int
    gross_fen: int
    discount_fen: int
    paid_fen: int


@dataclass(frozen=True, slots=True)
class StationDay:
    """A station's settlement of the day as stored (fee and net as they were rounded then),
    with how many of its bill payments matched our orders without a difference."""
    station_id: str
    orders: int
    matched_count: int
    matched_amount_fen: int
    paid_fen: int
    settled_fen: int
    discount_fen: int
    refunds: int
    refund_fen: int
    fee_milli_fen: int
    fee_fen: int
    net_fen: int
    grades: tuple[GradeDay, ...]


def station_day(s: StationSettlement, matched: Mapping[str, tuple[int, int]]) -> StationDay:
    """`matched`: station id -> (count, fen) of its bill payments that matched."""
    count, amount = matched.get(s.station_id, (0, 0))
    return StationDay(
        s.station_id, s.orders, count, amount, s.paid_fen, s.settled_fen, s.discount_fen,
        s.refunds, s.refund_fen, s.fee_milli_fen, s.fee_fen, s.net_fen,
        tuple(GradeDay(grade, g.orders, g.liters_ml, g.gross_fen, g.discount_fen, g.paid_fen)
              for grade, g in sorted(s.grades.items())))


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedDifference:
    """A difference as first recorded (what our records said then), and its outcome now."""
    kind: str
    out_trade_no: str
    out_refund_no: str | None = None
    order_id: str | None = None
    station_id: str | None = None
    bill_line: int | None = None
    transaction_id: str | None = None
    expected: Seen | None = None
    actual: Seen | None = None
    action: str
    order_transaction_id: str | None = None  # ours when first found; never leaves the service
    outcome: Outcome
    outcome_detail: str | None = None


def first_seen(d: Difference, *, order_id: str | None, station_id: str | None,
               order_transaction_id: str | None, outcome: Outcome) -> RecordedDifference:
    """The difference as it is recorded when first found, with whose it is and what our own
    record of its payment said then (a re-run classifies the day from this)."""
    return RecordedDifference(
        kind=d.kind, out_trade_no=d.out_trade_no, out_refund_no=d.out_refund_no,
        order_id=order_id, station_id=station_id, bill_line=d.bill_line,
        transaction_id=d.transaction_id, expected=d.expected, actual=d.actual, action=d.action,
        order_transaction_id=order_transaction_id, outcome=outcome)


@dataclass(frozen=True, slots=True, kw_only=True)
class DaySummary:
    """The day's figures: all of them for the whole day, only the matched ones, the differences
    and the healed for one station."""
    matched_count: int
    matched_amount_fen: int
    differences: int
    healed: int
    bill_rows: int | None = None
    refunds_matched_count: int | None = None
    refunds_matched_amount_fen: int | None = None
    fee_milli_fen: int | None = None
    fee_fen: int | None = None
    by_kind: dict[str, int] | None = None
    topups: dict[str, int] | None = None  # the wallet top-ups' own figures


def station_summary(settlements: Iterable[StationDay],
                    differences: Iterable[RecordedDifference]) -> DaySummary:
    settlements, differences = list(settlements), list(differences)
    return DaySummary(matched_count=sum(s.matched_count for s in settlements),
                      matched_amount_fen=sum(s.matched_amount_fen for s in settlements),
                      differences=len(differences),
                      healed=sum(d.outcome == Outcome.HEALED for d in differences))


@dataclass(frozen=True, slots=True)
class DayReport:
    """A reconciled day for one station (`station_id`) or every station (None)."""
    bill_date: str
    status: str  # DONE | NOT_READY | REJECTED
    station_id: str | None
    recorded_at: datetime | None
    error: Mapping[str, str] | None  # {code, message} of a run that could not finish
    summary: DaySummary | None
    differences: tuple[RecordedDifference, ...]
    settlements: tuple[StationDay, ...]

    @property
    def updated_at(self) -> str | None:
        """When the run was recorded, to the microsecond as stored (this answer always was)."""
        return self.recorded_at.isoformat().replace("+00:00", "Z") if self.recorded_at else None
