"""Drivers finding stations: nearby search and one station in full (no token needed)."""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint

from chalicelib.domain import times
from chalicelib.api.http import optional_driver, route
from chalicelib.api.shapes import converted
from chalicelib.domain.cursors import NEARBY_CURSOR_PATTERN
from chalicelib.domain.stations.geocells import MAX_RADIUS_M
from chalicelib.domain.stations.nearby import (
    CONSUMPTION_RANGE, DEFAULT_CONSUMPTION, DEFAULT_RADIUS_M, LITERS_RANGE, MAX_ABS_LAT,
    nearby_request, reference_volume_ml)
from chalicelib.domain.stations.stations import GRADE_NAMES

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)


def doc_only(**schema) -> msgspec.Meta:
    """Bounds for the contract only: the service checks them, each with its own error code."""
    return msgspec.Meta(extra_json_schema=schema)


Liters = Annotated[float, doc_only(minimum=LITERS_RANGE[0], maximum=LITERS_RANGE[1])]


class NearbyQuery(msgspec.Struct, forbid_unknown_fields=True):
    """sort=price needs `grade`, sort=cost needs `grade` and `liters`. `liters` is the fill
    priced (default 40 L); `consumption` the car's L/100 km for the detour (default 8).
    A page may hold fewer than `limit` stations while `next_cursor` is not null."""
    lat: Annotated[float, doc_only(minimum=-MAX_ABS_LAT, maximum=MAX_ABS_LAT)]
    lng: Annotated[float, doc_only(minimum=-180, maximum=180)]
    coord: Literal["gcj02", "wgs84"] = "gcj02"
    radius_m: Annotated[int, doc_only(minimum=1, maximum=MAX_RADIUS_M)] = DEFAULT_RADIUS_M
    sort: Literal["distance", "price", "cost"] = "distance"
    grade: Annotated[str, doc_only(enum=list(GRADE_NAMES))] | None = None
    liters: Liters | None = None
    consumption: Annotated[float, doc_only(minimum=CONSUMPTION_RANGE[0],
                                       maximum=CONSUMPTION_RANGE[1])] = DEFAULT_CONSUMPTION
    limit: Annotated[int, doc_only(minimum=1, maximum=100)] = 20
    cursor: Annotated[str, doc_only(pattern=NEARBY_CURSOR_PATTERN)] | None = None


class Location(msgspec.Struct):
    lat: float
    lng: float
    coord: str


class Hours(msgspec.Struct):
    open: str
    close: str


class GradeOffer(msgspec.Struct):
    grade: str
    name: str
    guide_price_fen: int
    pump_price_fen: int
    price_fen: int  # what the user pays per litre for the reference fill
    reference_pay_fen: int
    stock: Literal["in_stock", "low", "out", "unknown"]
    promotion: str | None


class PromotionOut(msgspec.Struct):
    id: str
    title: str
    kind: str
    description: str
    station_ids: list[str] | None
    grades: list[str] | None
    starts_at: str
    ends_at: str
    per_litre_off_fen: int
    threshold_fen: int
    amount_off_fen: int
    active: bool


class QueueOut(msgspec.Struct):
    wait_minutes: int | None
    confidence: Literal["low", "medium", "high"] | None
    reason: Literal["too_few_orders", "saturated", "no_nozzles"] | None
    arrivals_per_hour: float
    nozzles: int


class CostOut(msgspec.Struct):
    grade: str
    liters_ml: int
    fuel_fen: int
    detour_ml: int
    detour_fen: int
    effective_cost_fen: int
    saving_fen: int  # against the nearest station; negative when dearer


class NozzleOut(msgspec.Struct):
    no: int
    grade: str


class StationSummary(msgspec.Struct):
    id: str
    name: str
    brand: str
    district: str
    address: str
    payee: str
    location: Location
    distance_m: int | None
    open_now: bool
    hours: Hours
    reference_liters_ml: int
    grades: list[GradeOffer]
    promotions: list[PromotionOut]
    queue: QueueOut
    cost: CostOut | None = None


class NearbyPage(msgspec.Struct):
    items: list[StationSummary]
    next_cursor: str | None


class StationDetail(StationSummary):
    nozzles: list[NozzleOut] = []


NEARBY_ERRORS = {400: ("LAT_OUT_OF_RANGE", "LNG_OUT_OF_RANGE", "RADIUS_TOO_LARGE", "RADIUS_INVALID",
                       "UNKNOWN_GRADE", "PRICE_SORT_NEEDS_GRADE",
                       "COST_SORT_NEEDS_GRADE_AND_LITERS",
                       "LITERS_OUT_OF_RANGE", "CONSUMPTION_OUT_OF_RANGE", "LIMIT_OUT_OF_RANGE",
                       "INVALID_CURSOR", "SEARCH_AREA_TOO_WIDE", "COORD_INVALID", "SORT_INVALID")}


@route(bp, "/v1/stations/nearby", methods=["GET"], auth="driver_optional", query=NearbyQuery,
       ok=NearbyPage, errors=NEARBY_ERRORS,
       summary="Stations within radius_m, sorted by distance, price of a grade, or effective cost")
def nearby(query: NearbyQuery):
    from chalicelib.services.stations import search as stations

    level = _member_level(optional_driver(bp.current_request))
    req = nearby_request(query.lat, query.lng, coord=query.coord, radius_m=query.radius_m,
                         sort=query.sort, grade=query.grade, liters=query.liters,
                         consumption=query.consumption, limit=query.limit)
    return nearby_answer(stations.search_nearby(req, query.cursor, member_level=level))


def _member_level(driver) -> str | None:
    """A logged-in driver sees the member prices of their level."""
    if driver is None:
        return None
    from chalicelib.services.wallet.membership import member_level_of
    return member_level_of(driver.subject, times.now())


class DetailQuery(msgspec.Struct, forbid_unknown_fields=True):
    """`liters`: the fill the prices are worked out for (default 40 L)."""
    liters: Liters | None = None


@route(bp, "/v1/stations/{station_id}", methods=["GET"], auth="driver_optional", query=DetailQuery,
       ok=StationDetail, errors={400: ("LITERS_OUT_OF_RANGE",), 404: ("STATION_NOT_FOUND",)},
       summary="One station in full: grades and prices, nozzles, promotions, queue, hours, payee")
def station(station_id: str, query: DetailQuery):
    from chalicelib.services.stations import search as stations

    level = _member_level(optional_driver(bp.current_request))
    return detail_answer(stations.station_detail(
        station_id, volume_ml=reference_volume_ml(query.liters), member_level=level))


def nearby_answer(page: dict) -> dict:
    """A page of listings (services/stations/search.py) as the nearby route answers it."""
    answer = converted(page, NearbyPage)
    for item in answer["items"]:
        _without_cost(item)
    return answer


def detail_answer(listing) -> dict:
    """A station's listing as the detail route answers it."""
    return _without_cost(converted(listing, StationDetail))


def _without_cost(station: dict) -> dict:
    """`cost` is in a station's answer only with sort=cost: a missing key, not null."""
    if station["cost"] is None:
        del station["cost"]
    return station
