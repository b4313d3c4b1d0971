"""A reconciled day for station managers and hq: WeChat Pay's bill against our orders, and the
settlement per station (`?format=csv` answers the settlement as text/csv)."""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint, Response

from chalicelib.api.contract import one_of
from chalicelib.api.http import current_staff, route
from chalicelib.api.shapes import shaped
from chalicelib.domain import times
from chalicelib.domain.reconciliation.matching import Outcome

bp = Blueprint(__name__)


class ReconciliationQuery(msgspec.Struct, forbid_unknown_fields=True):
    station_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    format: Literal["json", "csv"] = "json"


class Seen(msgspec.Struct):
    status: str
    amount_fen: int


class DifferenceView(msgspec.Struct):
    kind: str  # PAID_NOT_RECORDED | MISSING_IN_BILL | AMOUNT_MISMATCH | REFUND_MISMATCH | ...
    out_trade_no: str
    action: str  # mark_paid | refund | query_payment | query_refund | investigate
    outcome: one_of(Outcome)
    out_refund_no: str | None = None
    order_id: str | None = None
    station_id: str | None = None
    bill_line: int | None = None
    transaction_id: str | None = None
    expected: Seen | None = None  # our records when first found
    actual: Seen | None = None  # the bill
    outcome_detail: str | None = None


class GradeSettlement(msgspec.Struct):
    grade: str
    orders: int
    liters_ml: int
    gross_fen: int
    discount_fen: int
    paid_fen: int


class StationSettlementView(msgspec.Struct):
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
    grades: list[GradeSettlement]


class RunError(msgspec.Struct):
    code: str
    message: str


class TopupSummary(msgspec.Struct):
    """Wallet top-ups in the bill (chain money, in no station's settlement)."""
    bill_rows: int
    matched_count: int
    matched_amount_fen: int
    refunds_matched_count: int
    refunds_matched_amount_fen: int
    fee_milli_fen: int
    differences: int


class DaySummary(msgspec.Struct, omit_defaults=True):
    """The whole day for hq; for one station only its matched figures and differences."""
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
    topups: TopupSummary | None = None


class ReconciliationReport(msgspec.Struct):
    bill_date: str
    status: str  # DONE | NOT_READY (retried by the schedule) | REJECTED (bad bill, reported)
    differences: list[DifferenceView]
    settlements: list[StationSettlementView]
    station_id: str | None = None
    updated_at: str | None = None
    error: RunError | None = None
    summary: DaySummary | None = None


@route(bp, "/v1/staff/reconciliation/{date}", methods=["GET"], auth="staff",
       query=ReconciliationQuery, ok=ReconciliationReport,
       summary="A reconciled day and its settlement per station (manager or hq); "
               "format=csv answers the settlement as text/csv",
       errors={400: ("DATE_INVALID", "DATE_IN_FUTURE", "STATION_REQUIRED"),
               403: ("ROLE_NOT_ALLOWED", "NOT_YOUR_STATION"),
               404: ("RECONCILIATION_NOT_FOUND",)})
def reconciliation_day(date, query: ReconciliationQuery):
    # Imported here: only this rarely called route needs the report code (cold start).
    from chalicelib.services.reconciliation import reports

    staff = current_staff(bp.current_request)
    now = times.now()
    report = reports.day_report(staff, date, query.station_id, now=now)
    if query.format == "csv":
        name = f"settlement-{report.bill_date}.csv"
        return Response(body=reports.settlement_csv(report), status_code=200,
                        headers={"Content-Type": "text/csv; charset=utf-8",
                                 "Content-Disposition": f'attachment; filename="{name}"'})
    return shaped(report, ReconciliationReport)
