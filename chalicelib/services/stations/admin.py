"""Staff running their stations: prices (kept as history), tank stock and promotions.

Managers act on their own stations, HQ on every station; attendants may read promotions but
change nothing. Chain-wide promotions (no station_ids) are HQ's alone.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.cursors import PROMOTION_CURSOR_PATTERN
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from chalicelib.domain.identity.roles import MANAGERS, Role
from chalicelib.domain.stations.listings import ListedPromotion
from chalicelib.domain.stations.prices import GradePrice, validate_price
from chalicelib.domain.stations.promotions import Promotion
from chalicelib.domain.stations.staff_listings import StationPrices, StationStock
from chalicelib.domain.stations.stations import GRADE_NAMES, MAX_TANK_ML, Station
from chalicelib.domain.times import parse_time
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.services.notifications import price_alerts as alerts
from chalicelib.services.outbox import delivery as outbox
from chalicelib.services.identity.tokens import Principal
from chalicelib.store.stations import promotions as promotion_store
from chalicelib.store.stations import changes as station_changes
from chalicelib.store.stations import stations as station_store
from chalicelib.store.stations.price_history import GradeChange, PriceChange

WRITERS = MANAGERS
MAX_PROMOTION_STATIONS = 50  # one transaction holds the promotion and each station's copy
_PRICE_RETRIES = 3
_CURSOR = re.compile(PROMOTION_CURSOR_PATTERN)


def current_prices(staff: Principal, station_id: str) -> StationPrices:
    """The prices of one of the staff member's stations, as update_prices answers them."""
    require_station(staff, station_id)
    return StationPrices.of(existing_station(station_id))


def update_prices(staff: Principal, station_id: str,
                  prices: list[tuple], now: datetime | None = None) -> StationPrices:
    """New guide, pump and member prices for some grades, effective at once, old ones kept as
    history: rows (grade, guide, pump[, member_prices]). Member prices (level -> fen/L) left
    out or None stay as they are; {} removes them."""
    _require_writer(staff)
    require_station(staff, station_id)
    wanted = {}
    for grade, guide, pump, *member_given in _distinct(prices, "grades"):
        member = member_given[0] if member_given else None
        validate_price(guide, pump)
        if pump > guide:  # the guide price is the state's maximum retail price (最高零售价)
            raise RuleViolation(f"{grade}: the pump price may not exceed the guide price",
                                code="PUMP_PRICE_ABOVE_GUIDE", field="pump_price_fen")
        wanted[grade] = (guide, pump, _member_prices(grade, member, pump))
    for _ in range(_PRICE_RETRIES):
        station = existing_station(station_id)
        _require_sold(station, wanted)
        changes = tuple(
            GradeChange(g, old.guide_price_fen, old.pump_price_fen, guide, pump,
                        dict(old.member_prices), dict(old.member_prices) if member is None
                        else member)
            for g in sorted(wanted) for old in [station.grade_price(g)]
            for guide, pump, member in [wanted[g]]
            if (old.guide_price_fen, old.pump_price_fen) != (guide, pump)
            or (member is not None and member != dict(old.member_prices)))
        if not changes:
            return StationPrices.of(station)
        change = PriceChange(station_id, station.version + 1, now or times.now(), staff.subject,
                             staff.role or "", changes, staff.display_name or staff.username)
        drops = alerts.price_drop_messages(change, station.name)
        if station_changes.change_prices(change, station.version, outbox.staged(drops)):
            get_logger().info("prices changed", extra={"station_id": station_id,
                                                       "staff_id": staff.subject,
                                                       "grades": [c.grade for c in changes]})
            outbox.send_now(drops)  # never raises: the sweeper sends what SQS did not take
            return StationPrices.of(station, change.version, {
                c.grade: GradePrice(c.grade, c.new_guide_price_fen, c.new_pump_price_fen,
                                    c.new_member_prices) for c in changes})
    raise Conflict("the station's prices kept changing; try again", code="STATION_BUSY")


def _member_prices(grade: str, member: dict[str, int] | None, pump: int) -> dict[str, int] | None:
    """Member prices of known levels, each a valid price below the pump price."""
    if member is None:
        return None
    from chalicelib.services.wallet.rules import member_levels
    known = {level.name for level in member_levels()}
    for level, price in member.items():
        if level not in known:
            raise InvalidInput(f"{grade}: no member level {level!r} (levels: {sorted(known)})",
                               code="UNKNOWN_MEMBER_LEVEL", field="member_prices")
        validate_price(price, price)
        if price >= pump:
            raise RuleViolation(f"{grade}: the {level} price must be below the pump price",
                                code="MEMBER_PRICE_NOT_BELOW_PUMP", field="member_prices")
    return dict(member)


def update_inventory(staff: Principal, station_id: str,
                     levels: list[tuple[str, int]]) -> StationStock:
    """Tank stock per grade, as the station's own system reports it."""
    _require_writer(staff)
    require_station(staff, station_id)
    wanted = {}
    for grade, ml in _distinct(levels, "grades"):
        if isinstance(ml, bool) or not isinstance(ml, int) or not 0 <= ml <= MAX_TANK_ML:
            raise InvalidInput(f"{grade}: liters_ml must be 0..{MAX_TANK_ML}",
                               code="INVENTORY_INVALID", field="liters_ml")
        wanted[grade] = ml
    station = existing_station(station_id)
    _require_sold(station, wanted)
    if not station_changes.set_stock(station_id, wanted):
        _require_sold(existing_station(station_id), wanted)  # it changed meanwhile: say how
        raise Conflict("the station changed meanwhile; try again", code="STATION_BUSY")
    return StationStock(replace(station, stock_ml={**station.stock_ml, **wanted}))


def create_promotion(staff: Principal, *, title: str, kind: str, starts_at: str, ends_at: str,
                     station_ids: list[str] | None = None, grades: list[str] | None = None,
                     per_litre_off_fen: int = 0, threshold_fen: int = 0, amount_off_fen: int = 0,
                     now: datetime | None = None) -> ListedPromotion:
    now = now or times.now()
    _require_writer(staff)
    if station_ids is None and staff.role != Role.HQ:
        raise Forbidden("only HQ may create chain-wide promotions; give station_ids",
                        code="CHAIN_PROMOTION_HQ_ONLY")
    if station_ids is not None and len(set(station_ids)) > MAX_PROMOTION_STATIONS:
        raise InvalidInput(f"at most {MAX_PROMOTION_STATIONS} stations per promotion",
                           code="TOO_MANY_STATIONS", field="station_ids")
    for station_id in station_ids or ():
        require_station(staff, station_id)
    for grade in grades or ():
        _known_grade(grade)
    if not title.strip():
        raise InvalidInput("title must not be blank", code="FIELD_REQUIRED", field="title")
    promotion = Promotion(
        id=f"pr_{uuid.uuid4().hex[:20]}", kind=kind, title=title.strip(),
        starts_at=_time(starts_at, "starts_at"), ends_at=_time(ends_at, "ends_at"),
        station_ids=frozenset(station_ids) if station_ids is not None else None,
        grades=frozenset(grades) if grades is not None else None,
        per_litre_off_fen=per_litre_off_fen, threshold_fen=threshold_fen,
        amount_off_fen=amount_off_fen)
    if promotion.ends_at <= now:
        raise RuleViolation("the promotion would already have ended",
                            code="PROMOTION_ALREADY_ENDED", field="ends_at")
    stations = [existing_station(s) for s in sorted(promotion.station_ids or ())]
    if grades and stations and not any(s.sells(g) for s in stations for g in grades):
        raise RuleViolation("none of these stations sells these grades", code="GRADE_NOT_SOLD",
                            field="grades")
    ended = {s.id: [p.id for p in s.promotions if p.ends_at <= now] for s in stations}
    if not station_changes.add_promotion(promotion, staff.subject, now, ended):
        raise Conflict("the stations changed meanwhile; try again", code="STATION_BUSY")
    get_logger().info("promotion created", extra={"promotion_id": promotion.id,
                                                  "staff_id": staff.subject})
    return ListedPromotion.at(promotion, now)


def list_promotions(staff: Principal, station_id: str | None, limit: int, cursor: str | None,
                    now: datetime | None = None) -> dict:
    """Promotions not yet ended, in end order: of one station, of the caller's stations, or
    (HQ without station_id) of the whole chain."""
    now = now or times.now()
    if not 1 <= limit <= 100:
        raise InvalidInput("limit must be 1..100", code="LIMIT_OUT_OF_RANGE", field="limit")
    after = _after_key(cursor)
    if station_id is None and staff.role == Role.HQ:
        found = promotion_store.promotions_not_ended(now, after, limit + 1)
    else:
        if station_id is not None:
            require_station(staff, station_id)
        ids = [station_id] if station_id is not None else sorted(staff.station_ids)
        found = {p.id: p for p in promotion_store.chain_promotions_not_ended(now)}
        for sid in ids:
            found.update({p.id: p for p in existing_station(sid).promotions if p.ends_at > now})
        found = sorted((p for p in found.values() if _key(p) > (after or "")), key=_key)
    page = found[:limit]
    next_cursor = _key(page[-1]) if len(found) > limit else None
    return {"items": [ListedPromotion.at(p, now) for p in page], "next_cursor": next_cursor}


def delete_promotion(staff: Principal, promotion_id: str) -> None:
    _require_writer(staff)
    promotion = promotion_store.get_promotion(promotion_id) if _plausible(promotion_id) else None
    if promotion is None:
        raise NotFound(f"no promotion {promotion_id}", code="PROMOTION_NOT_FOUND")
    if promotion.station_ids is None and staff.role != Role.HQ:
        raise Forbidden("only HQ may remove chain-wide promotions", code="CHAIN_PROMOTION_HQ_ONLY")
    for station_id in promotion.station_ids or ():
        require_station(staff, station_id)
    if not station_changes.remove_promotion(promotion):
        raise NotFound(f"no promotion {promotion_id}", code="PROMOTION_NOT_FOUND")
    get_logger().info("promotion deleted", extra={"promotion_id": promotion_id,
                                                  "staff_id": staff.subject})


def _require_writer(staff: Principal) -> None:
    if staff.role not in WRITERS:
        raise Forbidden("only a manager or HQ may change prices, stock and promotions",
                        code="ROLE_NOT_ALLOWED")


def require_station(staff: Principal, station_id: str) -> None:
    if not staff.can_act_on_station(station_id):
        raise Forbidden(f"station {station_id} is not one of yours", code="STATION_NOT_YOURS")


def existing_station(station_id: str) -> Station:
    station = station_store.read_station(station_id) if _plausible(station_id) else None
    if station is None:
        raise NotFound(f"no station {station_id}", code="STATION_NOT_FOUND")
    return station


def _plausible(key: str) -> bool:
    return 0 < len(key) <= 64 and key.isprintable()


def _known_grade(grade: str) -> None:
    if grade not in GRADE_NAMES:
        raise InvalidInput(f"unknown grade {grade!r}", code="UNKNOWN_GRADE", field="grade")


def _require_sold(station: Station, grades) -> None:
    missing = sorted(g for g in grades if not station.sells(g))
    if missing:
        raise RuleViolation(f"station {station.id} does not sell {', '.join(missing)}",
                            code="GRADE_NOT_SOLD", field="grade")


def _distinct(rows: list[tuple], field: str) -> list[tuple]:
    if not rows:
        raise InvalidInput(f"{field} must list at least one grade", code="GRADES_REQUIRED",
                           field=field)
    seen = set()
    for row in rows:
        _known_grade(row[0])
        if row[0] in seen:
            raise InvalidInput(f"grade {row[0]} is listed twice", code="DUPLICATE_GRADE",
                               field=field)
        seen.add(row[0])
    return rows


def _time(text: str, field: str) -> datetime:
    return parse_time(text, field, code="PROMOTION_TIME_INVALID")


def _key(p: Promotion) -> str:
    return promotion_store.ends_key(p.ends_at, p.id)


def _after_key(cursor: str | None) -> str | None:
    """A cursor is the end key of the last promotion listed: any of PROMOTION_CURSOR_PATTERN's shape."""
    if cursor is None:
        return None
    if _CURSOR.fullmatch(cursor) is None:
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")
    return cursor
