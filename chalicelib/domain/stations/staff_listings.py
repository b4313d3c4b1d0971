"""Stations as their staff read them: a station's prices per grade at a version, its tank stock
per grade, and a station as hq's list of the chain shows it (open now, nozzles, each grade's
prices and stock level).

The staff station routes shape these into their answers (api/shapes.converted), so each
answer's fields are written once, in its response type. Every field holds a plain value.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.stations.listings import StationFields
from chalicelib.domain.stations.prices import GradePrice
from chalicelib.domain.stations.stations import Station


@dataclass(frozen=True, slots=True)
class StationPrices:
    """A station's prices per grade as they stand at `version`, and the grades (sorted) that
    the change making that version changed: none when nothing changed or they were only read."""
    station_id: str
    version: int
    changed: tuple[str, ...]
    grades: tuple[GradePrice, ...]

    @classmethod
    def of(cls, station: Station, version: int | None = None,
           new: Mapping[str, GradePrice] | None = None) -> "StationPrices":
        """The station's prices, those of the grades in `new` replaced by their new prices."""
        new = new or {}
        return cls(station.id, station.version if version is None else version,
                   tuple(sorted(new)),
                   tuple(_plain(new.get(g.grade, g)) for g in station.grades))


def _plain(price: GradePrice) -> GradePrice:
    return GradePrice(price.grade, price.guide_price_fen, price.pump_price_fen,
                      dict(price.member_prices))


@dataclass(frozen=True, slots=True)
class GradeStock:
    """A grade a station sells: its prices, the litres last reported (None: never) and the
    level they make (stations.Station.stock_state)."""
    price: GradePrice
    liters_ml: int | None
    stock: str

    grade = property(lambda self: self.price.grade)
    guide_price_fen = property(lambda self: self.price.guide_price_fen)
    pump_price_fen = property(lambda self: self.price.pump_price_fen)


def grade_stocks(station: Station) -> tuple[GradeStock, ...]:
    return tuple(GradeStock(g, station.stock_ml.get(g.grade), station.stock_state(g.grade))
                 for g in station.grades)


@dataclass(frozen=True, slots=True)
class StationStock:
    """A station's tank stock per grade sold."""
    station: Station

    station_id = property(lambda self: self.station.id)
    grades = property(lambda self: grade_stocks(self.station))


@dataclass(frozen=True, slots=True)
class ChainStation(StationFields):
    """A station in hq's list of the chain at a moment: open or not, how many nozzles, and each
    grade's prices and stock level."""
    station: Station
    open_now: bool

    @classmethod
    def at(cls, station: Station, now: datetime) -> "ChainStation":
        return cls(station, station.is_open(now))

    open_time = property(lambda self: self.station.open_time)
    close_time = property(lambda self: self.station.close_time)
    nozzles = property(lambda self: len(self.station.nozzles))
    grades = property(lambda self: grade_stocks(self.station))
