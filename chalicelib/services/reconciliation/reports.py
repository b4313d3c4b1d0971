"""What staff read of a reconciled day: the result and the settlement, for one station (a manager
of it, or hq) or for every station (hq), as JSON or as CSV for the station's accounting system."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import msgspec

from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.identity.roles import MANAGERS, Role
from chalicelib.domain.money import yuan_text
from chalicelib.domain.reconciliation.report import DayReport, DaySummary, station_summary
from chalicelib.domain.times import business_day
from chalicelib.domain.reconciliation.settlement import spreadsheet_safe
from chalicelib.store.reconciliation import results as store

REPORT_ROLES = MANAGERS
CSV_COLUMNS = ("bill_date", "station_id", "grade", "orders", "litres", "gross_yuan",
               "discount_yuan", "paid_yuan", "refunds", "refund_yuan", "fee_yuan", "net_yuan")


def parse_bill_date(text: str, now: datetime) -> date:
    """A YYYY-MM-DD day up to today in Asia/Shanghai."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text or ""):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("date must be a day as YYYY-MM-DD", code="DATE_INVALID",
                           field="date") from None
    if day > business_day(now):
        raise InvalidInput("date is in the future", code="DATE_IN_FUTURE", field="date")
    return day


def _scope(staff, station_id: str | None) -> str | None:
    """The station to report on; None means every station (hq only)."""
    if staff.role not in REPORT_ROLES:
        raise Forbidden("only a manager or hq can read settlements", code="ROLE_NOT_ALLOWED")
    if station_id is not None:
        if not staff.can_act_on_station(station_id):
            raise Forbidden("that is not one of your stations", code="NOT_YOUR_STATION")
        return station_id
    if staff.role == Role.HQ:
        return None
    if len(staff.station_ids) == 1:
        return next(iter(staff.station_ids))
    raise InvalidInput("station_id is required", code="STATION_REQUIRED", field="station_id")


def day_report(staff, date_text: str, station_id: str | None, *, now: datetime) -> DayReport:
    """The day as stored, for the station in scope or every station (the route shapes it)."""
    bill_date = parse_bill_date(date_text, now).isoformat()
    scope = _scope(staff, station_id)
    day = store.read_day(bill_date)
    if day is None or day["status"] is None:
        raise NotFound("that day has not been reconciled yet", code="RECONCILIATION_NOT_FOUND")
    settlements = store.settlements(bill_date, scope)
    differences = [d for d in store.differences(bill_date)
                   if scope is None or d.station_id == scope]
    summary = day["data"].get("summary")
    if summary is not None:
        summary = (station_summary(settlements, differences) if scope is not None
                   else msgspec.convert(summary, DaySummary))
    return DayReport(bill_date, day["status"], scope, day["updated_at"], day["data"].get("error"),
                     summary, tuple(differences), tuple(settlements))


def settlement_csv(report: DayReport) -> str:
    """One line per station and grade, then the station's TOTAL line with refunds, fees, net."""
    out = io.StringIO()
    writer = _SafeWriter(csv.writer(out, lineterminator="\r\n"))
    writer.writerow(CSV_COLUMNS)
    day = report.bill_date
    for s in report.settlements:
        for g in s.grades:
            writer.writerow((day, s.station_id, g.grade, g.orders, _litres(g.liters_ml),
                             yuan_text(g.gross_fen), yuan_text(g.discount_fen),
                             yuan_text(g.paid_fen), "", "", "", ""))
        writer.writerow((day, s.station_id, "TOTAL", s.orders,
                         _litres(sum(g.liters_ml for g in s.grades)),
                         yuan_text(sum(g.gross_fen for g in s.grades)),
                         yuan_text(s.discount_fen), yuan_text(s.paid_fen), s.refunds,
                         yuan_text(s.refund_fen), yuan_text(s.fee_fen), yuan_text(s.net_fen)))
    return out.getvalue()


class _SafeWriter:
    """Every cell through spreadsheet_safe: station ids, grades and any text column to come."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])


def _litres(ml: int) -> str:
    return f"{ml // 1000}.{ml % 1000:03d}"
