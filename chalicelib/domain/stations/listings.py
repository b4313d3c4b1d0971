"""Stations as a driver's list and a station's page show them at a moment.

A listing is the station itself (its fields read through) plus what is worked out for the
driver: the distance, whether it is open, each grade priced for the reference fill by
pricing.quote (the same function and inputs an order is charged with), the promotions that
apply, the queue estimate and, for sort=cost, the effective cost. The station routes shape
these into their answers (api/shapes.py), so each answer's fields are written once, in its
response type. Only the stations of a page are listed: building one is most of a search's
CPU after the reads. Every field holds a plain value (times as lists write them,
times.utc_text), so a route converts a page with msgspec alone (api/shapes.converted).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.stations.nearby import EffectiveCost
from chalicelib.domain.stations.pricing import quote
from chalicelib.domain.stations.promotions import Promotion, describe
from chalicelib.domain.stations.queueing import QueueEstimate
from chalicelib.domain.stations.stations import GRADE_NAMES, Nozzle, Station
from chalicelib.domain.times import utc_text


@dataclass(frozen=True, slots=True)
class GradeOffer:
    """A grade priced for the reference fill, as the order for that fill would be."""
    grade: str
    name: str
    guide_price_fen: int
    pump_price_fen: int
    price_fen: int  # what the driver pays per litre for the reference fill
    reference_pay_fen: int
    stock: str
    promotion: str | None  # the words of the rule the quote applied


def grade_offer(station: Station, grade: str, active: list[Promotion], now: datetime,
                volume_ml: int, member_level: str | None) -> GradeOffer:
    q = quote(station.grades, active, station_id=station.id, grade=grade, now=now,
              member_level=member_level, volume_ml=volume_ml)
    return GradeOffer(grade, GRADE_NAMES.get(grade, grade), q.guide_price_fen, q.list_price_fen,
                      q.price_fen, q.pay_fen, station.stock_state(grade), q.description)


@dataclass(frozen=True, slots=True)
class ListedPromotion:
    """A promotion as lists show it at a moment: its words, its scope sorted, active or not."""
    promotion: Promotion
    active: bool

    @classmethod
    def at(cls, promotion: Promotion, now: datetime) -> "ListedPromotion":
        return cls(promotion, promotion.starts_at <= now < promotion.ends_at)

    id = property(lambda self: self.promotion.id)
    title = property(lambda self: self.promotion.title)
    kind = property(lambda self: self.promotion.kind)
    starts_at = property(lambda self: utc_text(self.promotion.starts_at))
    ends_at = property(lambda self: utc_text(self.promotion.ends_at))
    per_litre_off_fen = property(lambda self: self.promotion.per_litre_off_fen)
    threshold_fen = property(lambda self: self.promotion.threshold_fen)
    amount_off_fen = property(lambda self: self.promotion.amount_off_fen)

    @property
    def description(self) -> str:
        return describe(self.promotion)

    @property
    def station_ids(self) -> list[str] | None:
        ids = self.promotion.station_ids
        return None if ids is None else sorted(ids)

    @property
    def grades(self) -> list[str] | None:
        grades = self.promotion.grades
        return None if grades is None else sorted(grades)


@dataclass(frozen=True, slots=True)
class QueueView:
    """The queue estimate as the list shows it, with the nozzles it counted as servers."""
    estimate: QueueEstimate
    nozzles: int

    wait_minutes = property(lambda self: self.estimate.wait_minutes)
    confidence = property(lambda self: self.estimate.confidence)
    reason = property(lambda self: self.estimate.reason)

    @property
    def arrivals_per_hour(self) -> float:
        return round(self.estimate.arrivals_per_hour, 1)


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lng: float
    coord: str = "gcj02"


@dataclass(frozen=True, slots=True)
class Hours:
    open: str
    close: str


class StationFields:
    """What a listing reads straight through from its station (its `station` field)."""
    __slots__ = ()

    id = property(lambda self: self.station.id)
    name = property(lambda self: self.station.name)
    brand = property(lambda self: self.station.brand)
    district = property(lambda self: self.station.district)
    address = property(lambda self: self.station.address)


@dataclass(frozen=True, slots=True)
class StationListing(StationFields):
    """One station in a driver's list (distance set) or on its own page (distance None)."""
    station: Station
    distance_m: int | None
    open_now: bool
    reference_liters_ml: int
    grades: tuple[GradeOffer, ...]
    promotions: tuple[ListedPromotion, ...]  # those that apply now, in id order
    queue: QueueView
    cost: EffectiveCost | None = None  # sort=cost only

    payee = property(lambda self: self.station.payee)

    @property
    def location(self) -> Location:
        return Location(round(self.station.lat, 6), round(self.station.lng, 6))

    @property
    def hours(self) -> Hours:
        return Hours(self.station.open_time, self.station.close_time)

    @property
    def nozzles(self) -> tuple[Nozzle, ...]:
        return self.station.nozzles

    def grade(self, grade: str) -> GradeOffer | None:
        return next((g for g in self.grades if g.grade == grade), None)
