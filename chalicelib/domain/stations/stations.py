"""A fuel station as the rest of the domain sees it: grades and prices, nozzles, stock, hours."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from chalicelib.domain.stations.prices import GradePrice
from chalicelib.domain.stations.promotions import Promotion
from chalicelib.domain.times import SHANGHAI  # business time (domain/times.py)

# Below this a grade shows as 'low' (a tanker is due); at zero it is 'out' and cannot be ordered.
LOW_STOCK_ML = 1_000_000
# The most stock a grade can report: 1000 m3, far beyond any forecourt's tanks; catches unit slips.
MAX_TANK_ML = 1_000_000_000

GRADE_NAMES = {"92": "92#汽油", "95": "95#汽油", "98": "98#汽油", "0": "0#柴油",
               "-10": "-10#柴油", "-20": "-20#柴油", "-35": "-35#柴油"}


def grade_sort_key(grade: str) -> tuple[int, str]:
    """Gasoline grades first, then diesel, as pumps and price boards list them."""
    order = list(GRADE_NAMES)
    return (order.index(grade) if grade in order else len(order), grade)


@dataclass(frozen=True)
class Nozzle:
    no: int
    grade: str


@dataclass(frozen=True)
class QueueCounters:
    """What the queue estimate needs, kept on the station item (no query per station)."""
    arrivals: Mapping[str, int] = field(default_factory=dict)  # 10-minute bucket -> orders
    service_mean_s: float | None = None  # pending samples folded in (queueing.py)
    service_samples: int = 0
    # What confirmations added since the mean was last stored (sum of clamped seconds, count),
    # already counted in the two figures above; the next order at the station stores them.
    pending_sum_s: float = 0.0
    pending_samples: int = 0


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    brand: str
    district: str
    address: str
    lat: float  # GCJ-02
    lng: float  # GCJ-02
    open_time: str  # "HH:MM" Asia/Shanghai
    close_time: str  # "HH:MM", "24:00" = midnight
    payee: str
    grades: tuple[GradePrice, ...]
    nozzles: tuple[Nozzle, ...]
    stock_ml: Mapping[str, int]
    promotions: tuple[Promotion, ...] = ()
    queue: QueueCounters = QueueCounters()
    version: int = 0

    def __post_init__(self) -> None:
        # One canonical order, whatever order the grades were stored or typed in.
        object.__setattr__(self, "grades",
                           tuple(sorted(self.grades, key=lambda g: grade_sort_key(g.grade))))

    def grade_price(self, grade: str) -> GradePrice | None:
        return next((g for g in self.grades if g.grade == grade), None)

    def nozzle(self, no: int) -> Nozzle | None:
        return next((n for n in self.nozzles if n.no == no), None)

    def sells(self, grade: str) -> bool:
        return self.grade_price(grade) is not None

    def stock_state(self, grade: str) -> str:
        litres = self.stock_ml.get(grade)
        if litres is None:
            return "unknown"
        if litres <= 0:
            return "out"
        return "low" if litres < LOW_STOCK_ML else "in_stock"

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(SHANGHAI).strftime("%H:%M")
        if self.open_time <= self.close_time:
            return self.open_time <= local < self.close_time
        return local >= self.open_time or local < self.close_time  # open across midnight
