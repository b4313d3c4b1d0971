"""A station's settlement for one bill day, as pure arithmetic on the bill and our orders.

Cash basis, like the bill itself: a station's day holds the payments WeChat Pay billed that day
(grouped by grade, with the litres and discounts of their orders) and the refunds it accepted that
day, whatever day their order was paid. Fees are the bill's, kept in milli-fen and rounded once
per station; net = settled - refunds - fees. Rows whose order we do not know are grouped under
UNATTRIBUTED so the stations' figures always add up to the whole bill.
"""
from __future__ import annotations

import re

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from chalicelib.domain.money import div_round_half_up
from chalicelib.domain.reconciliation.tradebill import MILLI_FEN_PER_FEN, TradeBill

UNATTRIBUTED = "UNATTRIBUTED"


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the settlement needs of one of our orders."""

    station_id: str
    grade: str
    liters_ml: int
    gross_fen: int  # what the pump showed (the confirmed amount once fuelled)
    charged_fen: int  # what the fuel cost the driver after the discount


@dataclass(slots=True)
class GradeTotals:
    orders: int = 0
    liters_ml: int = 0
    gross_fen: int = 0
    discount_fen: int = 0
    paid_fen: int = 0


@dataclass(slots=True)
class StationSettlement:
    station_id: str
    orders: int = 0
    paid_fen: int = 0  # 订单金额 of the day's payments
    settled_fen: int = 0  # 应结订单金额: what WeChat Pay owes before refunds and fees
    discount_fen: int = 0
    refunds: int = 0
    refund_fen: int = 0
    fee_milli_fen: int = 0
    grades: dict[str, GradeTotals] = field(default_factory=dict)

    @property
    def fee_fen(self) -> int:
        return div_round_half_up(self.fee_milli_fen, MILLI_FEN_PER_FEN)

    @property
    def net_fen(self) -> int:
        return self.settled_fen - self.refund_fen - self.fee_fen


def settle(bill: TradeBill, orders: Mapping[str, OrderFacts]) -> list[StationSettlement]:
    """Per station, sorted by station id; `orders` maps out_trade_no to the order's facts."""
    stations: dict[str, StationSettlement] = {}

    def of(out_trade_no: str) -> tuple[StationSettlement, OrderFacts | None]:
        facts = orders.get(out_trade_no)
        station_id = facts.station_id if facts else UNATTRIBUTED
        return stations.setdefault(station_id, StationSettlement(station_id)), facts

    for row in bill.payments:
        station, facts = of(row.out_trade_no)
        station.orders += 1
        station.paid_fen += row.order_amount_fen
        station.settled_fen += row.settlement_amount_fen
        station.fee_milli_fen += row.fee_milli_fen
        grade = station.grades.setdefault(facts.grade if facts else "", GradeTotals())
        grade.orders += 1
        grade.paid_fen += row.order_amount_fen
        if facts is not None:
            discount = facts.gross_fen - facts.charged_fen
            grade.liters_ml += facts.liters_ml
            grade.gross_fen += facts.gross_fen
            grade.discount_fen += discount
            station.discount_fen += discount
    for row in bill.refunds:
        station, _ = of(row.out_trade_no)
        station.refunds += 1
        station.refund_fen += row.refund_amount_fen
        station.fee_milli_fen += row.fee_milli_fen
    return [stations[key] for key in sorted(stations)]


def totals(settlements: Iterable[StationSettlement]) -> dict[str, int]:
    """The day's figures over all stations (the bill's own totals when every row is counted)."""
    items = list(settlements)
    return {"orders": sum(s.orders for s in items), "paid_fen": sum(s.paid_fen for s in items),
            "settled_fen": sum(s.settled_fen for s in items),
            "refund_fen": sum(s.refund_fen for s in items),
            "fee_milli_fen": sum(s.fee_milli_fen for s in items)}


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); a tab or
# carriage return in front is skipped by some of them before they look.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_safe(cell):
    """The cell as a CSV may hold it: text that a spreadsheet would run gets a leading quote,
    which the spreadsheet shows as text; numbers (negative ones too) are left as they are."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
