"""Finding 12: a settlement CSV cell that a spreadsheet would run as a formula is written as
text; numbers, negative ones included, stay numbers."""
from __future__ import annotations

import csv
import io

import pytest

from chalicelib.domain.reconciliation.report import DayReport, GradeDay, StationDay
from chalicelib.domain.reconciliation.settlement import spreadsheet_safe
from chalicelib.services.reconciliation.reports import settlement_csv


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_text_is_escaped(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.50", "0.000", "ty-001", "92#", "", 7, -3])
def test_plain_values_are_left_alone(cell):
    assert spreadsheet_safe(cell) == cell


def test_the_settlement_csv_escapes_a_station_id_that_starts_a_formula():
    settlement = StationDay("=cmd|' /C calc'!A0", orders=1, matched_count=1,
                            matched_amount_fen=100, paid_fen=100, settled_fen=100,
                            discount_fen=0, refunds=0, refund_fen=0, fee_milli_fen=600,
                            fee_fen=1, net_fen=99,
                            grades=(GradeDay("@92#", 1, 1000, 100, 0, 100),))
    report = DayReport("2026-12-05", "DONE", None, None, None, None, (), (settlement,))

    rows = list(csv.reader(io.StringIO(settlement_csv(report))))

    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][2] == "'@92#"
    assert rows[2][2] == "TOTAL"
