"""Staff running stations: prices, tank stock and promotions (manager: own stations, HQ: all)."""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint, Response

from chalicelib.api.http import created, current_staff, route
from chalicelib.api.shapes import converted, shaped
from chalicelib.api.stations import PromotionOut, doc_only
from chalicelib.domain.cursors import PROMOTION_CURSOR_PATTERN, STATION_CURSOR_PATTERN
from chalicelib.domain.stations.prices import MAX_PRICE_FEN, MIN_PRICE_FEN
from chalicelib.domain.stations.stations import GRADE_NAMES, MAX_TANK_ML

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

Grade = Annotated[str, doc_only(enum=list(GRADE_NAMES))]
Grades = Annotated[list[Grade], msgspec.Meta(max_length=20)]
Price = Annotated[int, doc_only(minimum=MIN_PRICE_FEN, maximum=MAX_PRICE_FEN)]


class GradePriceIn(msgspec.Struct, forbid_unknown_fields=True):
    """The pump price may not exceed the guide price (the state's maximum retail price).
    member_prices: member level -> fen/L, each below the pump price; left out: unchanged,
    {}: no member price for this grade."""
    grade: Grade
    guide_price_fen: Price
    pump_price_fen: Price
    member_prices: Annotated[dict[Annotated[str, msgspec.Meta(min_length=1, max_length=20)], Price],
                             msgspec.Meta(max_length=10)] | None = None


class PricesIn(msgspec.Struct, forbid_unknown_fields=True):
    grades: Annotated[list[GradePriceIn], msgspec.Meta(max_length=20)]


class GradePriceOut(msgspec.Struct):
    grade: str
    guide_price_fen: int
    pump_price_fen: int
    member_prices: dict[str, int] = {}


class PricesOut(msgspec.Struct):
    station_id: str
    version: int
    changed: list[str]
    grades: list[GradePriceOut]


class StockIn(msgspec.Struct, forbid_unknown_fields=True):
    grade: Grade
    liters_ml: Annotated[int, doc_only(minimum=0, maximum=MAX_TANK_ML)]


class InventoryIn(msgspec.Struct, forbid_unknown_fields=True):
    grades: Annotated[list[StockIn], msgspec.Meta(max_length=20)]


class StockOut(msgspec.Struct):
    grade: str
    liters_ml: int | None
    stock: str


class InventoryOut(msgspec.Struct):
    station_id: str
    grades: list[StockOut]


class GradePriceChange(msgspec.Struct):
    grade: str
    old_guide_price_fen: int
    old_pump_price_fen: int
    new_guide_price_fen: int
    new_pump_price_fen: int
    old_member_prices: dict[str, int]
    new_member_prices: dict[str, int]


class PriceChangeOut(msgspec.Struct):
    version: int  # the station's prices version this change made
    changed_at: str
    changed_by: str  # staff id
    # their name (or login) when they made the change; null on changes from before names were kept
    changed_by_name: str | None
    role: str
    grades: list[GradePriceChange]


class PriceHistoryQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, doc_only(minimum=1, maximum=50)] = 20


class PriceHistoryOut(msgspec.Struct):
    station_id: str
    items: list[PriceChangeOut]


class StationListQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, doc_only(minimum=1, maximum=100)] = 100
    # next_cursor of the previous page, passed back unchanged
    cursor: Annotated[str, doc_only(pattern=STATION_CURSOR_PATTERN)] | None = None


class ListedGrade(msgspec.Struct):
    grade: str
    guide_price_fen: int
    pump_price_fen: int
    stock: Literal["in_stock", "low", "out", "unknown"]


class ListedStation(msgspec.Struct):
    id: str
    name: str
    brand: str
    district: str
    address: str
    open_time: str  # "HH:MM" Asia/Shanghai
    close_time: str
    open_now: bool
    nozzles: int
    grades: list[ListedGrade]


class StationPage(msgspec.Struct):
    items: list[ListedStation]
    next_cursor: str | None


class PromotionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Leave station_ids out for a chain-wide promotion (HQ only), grades out for every grade."""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    kind: Literal["per_litre_off", "per_litre_off_over_amount", "amount_off_over_amount"]
    starts_at: str
    ends_at: str
    station_ids: Annotated[list[str], msgspec.Meta(min_length=1, max_length=50)] | None = None
    grades: Grades | None = None
    per_litre_off_fen: int = 0
    threshold_fen: int = 0
    amount_off_fen: int = 0


class PromotionQuery(msgspec.Struct, forbid_unknown_fields=True):
    """Promotions not yet ended, in end order; without station_id: all of yours (HQ: all)."""
    station_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    limit: Annotated[int, doc_only(minimum=1, maximum=100)] = 20
    cursor: Annotated[str, doc_only(pattern=PROMOTION_CURSOR_PATTERN)] | None = None


class PromotionPage(msgspec.Struct):
    items: list[PromotionOut]
    next_cursor: str | None


_GRADE_ERRORS = {400: ("UNKNOWN_GRADE", "DUPLICATE_GRADE", "GRADES_REQUIRED"),
                 403: ("ROLE_NOT_ALLOWED", "STATION_NOT_YOURS"), 404: ("STATION_NOT_FOUND",),
                 409: ("STATION_BUSY",), 422: ("GRADE_NOT_SOLD",)}


@route(bp, "/v1/staff/stations", methods=["GET"], auth="staff", query=StationListQuery,
       ok=StationPage, summary="Every station of the chain with its prices and stock (hq)",
       errors={400: ("LIMIT_OUT_OF_RANGE", "INVALID_CURSOR"), 403: ("ROLE_NOT_ALLOWED",)})
def list_stations(query: StationListQuery):
    from chalicelib.services.stations import records as station_records

    return converted(station_records.list_stations(current_staff(bp.current_request),
                                                   query.limit, query.cursor), StationPage)


@route(bp, "/v1/staff/stations/{station_id}/prices", methods=["GET"], auth="staff",
       ok=PricesOut, summary="The station's guide, pump and member prices per grade",
       errors={403: ("STATION_NOT_YOURS",), 404: ("STATION_NOT_FOUND",)})
def get_prices(station_id: str):
    from chalicelib.services.stations import admin as station_admin

    return converted(station_admin.current_prices(current_staff(bp.current_request), station_id),
                     PricesOut)


@route(bp, "/v1/staff/stations/{station_id}/prices", methods=["PUT"], auth="staff", body=PricesIn,
       ok=PricesOut, summary="New guide and pump prices, effective at once, kept as history",
       errors={**_GRADE_ERRORS, 400: _GRADE_ERRORS[400] + ("PRICE_INVALID", "UNKNOWN_MEMBER_LEVEL"),
               422: ("GRADE_NOT_SOLD", "PUMP_PRICE_ABOVE_GUIDE", "MEMBER_PRICE_NOT_BELOW_PUMP")})
def put_prices(station_id: str, body: PricesIn):
    from chalicelib.services.stations import admin as station_admin

    staff = current_staff(bp.current_request)
    prices = [(g.grade, g.guide_price_fen, g.pump_price_fen, g.member_prices)
              for g in body.grades]
    return converted(station_admin.update_prices(staff, station_id, prices), PricesOut)


@route(bp, "/v1/staff/stations/{station_id}/price-history", methods=["GET"], auth="staff",
       query=PriceHistoryQuery, ok=PriceHistoryOut,
       summary="The station's price changes, newest first: who, when, old and new prices",
       errors={400: ("LIMIT_OUT_OF_RANGE",), 403: ("STATION_NOT_YOURS",),
               404: ("STATION_NOT_FOUND",)})
def get_price_history(station_id: str, query: PriceHistoryQuery):
    from chalicelib.services.stations import records as station_records

    return shaped(station_records.price_changes(current_staff(bp.current_request), station_id,
                                                query.limit), PriceHistoryOut)


@route(bp, "/v1/staff/stations/{station_id}/inventory", methods=["GET"], auth="staff",
       ok=InventoryOut, summary="The station's tank stock per grade, as last reported",
       errors={403: ("STATION_NOT_YOURS",), 404: ("STATION_NOT_FOUND",)})
def get_inventory(station_id: str):
    from chalicelib.services.stations import records as station_records

    return converted(station_records.current_inventory(current_staff(bp.current_request),
                                                       station_id), InventoryOut)


@route(bp, "/v1/staff/stations/{station_id}/inventory", methods=["PUT"], auth="staff",
       body=InventoryIn, ok=InventoryOut, summary="Tank stock per grade from the station's system",
       errors={**_GRADE_ERRORS, 400: _GRADE_ERRORS[400] + ("INVENTORY_INVALID",)})
def put_inventory(station_id: str, body: InventoryIn):
    from chalicelib.services.stations import admin as station_admin

    staff = current_staff(bp.current_request)
    levels = [(g.grade, g.liters_ml) for g in body.grades]
    return converted(station_admin.update_inventory(staff, station_id, levels), InventoryOut)


@route(bp, "/v1/staff/promotions", methods=["POST"], auth="staff", body=PromotionIn,
       ok=PromotionOut, status=201, summary="Create a promotion for stations (or, HQ, the chain)",
       errors={400: ("UNKNOWN_GRADE", "PROMOTION_TIME_INVALID", "PROMOTION_WINDOW_INVALID",
                     "PROMOTION_KIND_UNKNOWN", "PROMOTION_FIGURE_INVALID",
                     "PROMOTION_SCOPE_INVALID", "TOO_MANY_STATIONS"),
               403: ("ROLE_NOT_ALLOWED", "STATION_NOT_YOURS", "CHAIN_PROMOTION_HQ_ONLY"),
               404: ("STATION_NOT_FOUND",), 409: ("STATION_BUSY",),
               422: ("PROMOTION_ALREADY_ENDED", "GRADE_NOT_SOLD")})
def post_promotion(body: PromotionIn):
    from chalicelib.services.stations import admin as station_admin

    staff = current_staff(bp.current_request)
    return created(converted(station_admin.create_promotion(staff, **msgspec.structs.asdict(body)),
                             PromotionOut))


@route(bp, "/v1/staff/promotions", methods=["GET"], auth="staff", query=PromotionQuery,
       ok=PromotionPage, summary="Promotions not yet ended: of a station, yours, or (HQ) all",
       errors={400: ("LIMIT_OUT_OF_RANGE", "INVALID_CURSOR"), 403: ("STATION_NOT_YOURS",),
               404: ("STATION_NOT_FOUND",)})
def get_promotions(query: PromotionQuery):
    from chalicelib.services.stations import admin as station_admin

    staff = current_staff(bp.current_request)
    return converted(station_admin.list_promotions(staff, query.station_id, query.limit,
                                                   query.cursor), PromotionPage)


@route(bp, "/v1/staff/promotions/{promotion_id}", methods=["DELETE"], auth="staff", status=204,
       summary="Remove a promotion from its stations at once",
       errors={403: ("ROLE_NOT_ALLOWED", "STATION_NOT_YOURS", "CHAIN_PROMOTION_HQ_ONLY"),
               404: ("PROMOTION_NOT_FOUND",)})
def delete_promotion(promotion_id: str):
    from chalicelib.services.stations import admin as station_admin

    station_admin.delete_promotion(current_staff(bp.current_request), promotion_id)
    return Response(body="", status_code=204)
