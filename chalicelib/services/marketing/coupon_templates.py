"""Marketing staff (role hq) running coupon templates: create, list with figures, pause/resume/end.

Figures per template: issued and stock left from the template's own counter; used, paid orders
and fuel revenue from store/marketing/coupon_stats.py (the sparse index of used coupons and the orders
they name), the templates of a page side by side.
"""
from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from chalicelib.domain.identity.roles import Role
from chalicelib.domain.marketing.listings import ManagedTemplate
from chalicelib.domain.marketing.coupons import (
    MAX_FIGURE_FEN, MAX_PER_USER, MAX_STATIONS, MAX_STOCK, MAX_VALID_DAYS, CouponTemplate)
from chalicelib.domain.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from chalicelib.domain.stations.stations import GRADE_NAMES
from chalicelib.domain.times import parse_time
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.services.marketing.coupons import plausible_id
from chalicelib.services.identity.tokens import Principal
from chalicelib.store.marketing import coupon_stats
from chalicelib.store.marketing import coupon_templates as store

# the listing index's sort key of the last template listed, inside the opaque cursor
_CREATED_KEY = re.compile(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}Z#ct_[A-Za-z0-9_]{1,61}$")
_TRANSITIONS = {"pause": ((store.ACTIVE,), store.PAUSED), "resume": ((store.PAUSED,), store.ACTIVE),
                "end": ((store.ACTIVE, store.PAUSED), store.ENDED)}


def require_marketing(staff: Principal) -> None:
    """Marketing is HQ's: no other role creates, changes or reads templates and campaigns."""
    if staff.role != Role.HQ:
        raise Forbidden("only HQ marketing may manage coupons", code="ROLE_NOT_ALLOWED")


def _time(text: str, field: str) -> datetime:
    return parse_time(text, field, code="COUPON_TIME_INVALID")


def _check_bounds(total_stock, per_user_limit, valid_days, figures: dict) -> None:
    if total_stock > MAX_STOCK or per_user_limit > MAX_PER_USER:
        raise InvalidInput(f"total_stock at most {MAX_STOCK}, per_user_limit at most "
                           f"{MAX_PER_USER}", code="COUPON_STOCK_INVALID")
    if valid_days is not None and valid_days > MAX_VALID_DAYS:
        raise InvalidInput(f"valid_days at most {MAX_VALID_DAYS}", code="COUPON_VALIDITY_INVALID",
                           field="valid_days")
    for name, fen in figures.items():
        if fen > MAX_FIGURE_FEN:
            raise InvalidInput(f"{name} at most {MAX_FIGURE_FEN}", code="COUPON_FIGURE_INVALID",
                               field=name)


def _check_scope(station_ids: list[str] | None, grades: list[str] | None) -> None:
    for grade in grades or ():
        if grade not in GRADE_NAMES:
            raise InvalidInput(f"unknown grade {grade!r}", code="UNKNOWN_GRADE", field="grades")
    if not station_ids:
        return
    wanted = set(station_ids)
    if len(wanted) > MAX_STATIONS:
        raise InvalidInput(f"at most {MAX_STATIONS} stations", code="TOO_MANY_STATIONS",
                           field="station_ids")
    found = store.station_grades(sorted(s for s in wanted if plausible_id(s)))
    missing = sorted(wanted - set(found))
    if missing:
        raise RuleViolation(f"no such station: {', '.join(missing[:5])}", code="UNKNOWN_STATION",
                            field="station_ids")
    sold = set().union(*found.values())
    if grades and not sold & set(grades):
        raise RuleViolation("none of these stations sells these grades", code="GRADE_NOT_SOLD",
                            field="grades")


def create_template(staff: Principal, *, title: str, kind: str, starts_at: str, ends_at: str,
                    total_stock: int, per_user_limit: int = 1, amount_off_fen: int = 0,
                    per_litre_off_fen: int = 0, min_spend_fen: int = 0,
                    station_ids: list[str] | None = None, grades: list[str] | None = None,
                    valid_days: int | None = None, audience: str = "public",
                    now: datetime | None = None) -> ManagedTemplate:
    now = now or times.now()
    require_marketing(staff)
    if not title.strip():
        raise InvalidInput("title must not be blank", code="TITLE_REQUIRED", field="title")
    if not title.isprintable():
        raise InvalidInput("title must be printable text", code="TITLE_INVALID", field="title")
    template = CouponTemplate(  # validates kind, window, stock, limit, scope and figures
        id=f"ct_{uuid.uuid4().hex[:20]}", kind=kind, title=title.strip(),
        starts_at=_time(starts_at, "starts_at"), ends_at=_time(ends_at, "ends_at"),
        total_stock=total_stock, per_user_limit=per_user_limit, amount_off_fen=amount_off_fen,
        per_litre_off_fen=per_litre_off_fen, min_spend_fen=min_spend_fen,
        station_ids=frozenset(station_ids) if station_ids is not None else None,
        grades=frozenset(grades) if grades is not None else None, valid_days=valid_days,
        audience=audience)
    _check_bounds(total_stock, per_user_limit, valid_days, {
        "amount_off_fen": amount_off_fen, "per_litre_off_fen": per_litre_off_fen,
        "min_spend_fen": min_spend_fen})
    _check_scope(station_ids, grades)
    if template.ends_at <= now:
        raise RuleViolation("the claim window would already have ended",
                            code="COUPON_ALREADY_ENDED", field="ends_at")
    store.put_template(template, staff.subject, now)
    get_logger().info("coupon template created", extra={"template_id": template.id,
                                                        "staff_id": staff.subject})
    return ManagedTemplate(template, store.ACTIVE, now, staff.subject,
                           coupon_stats.UsageFigures(0, 0, 0))


def _managed(stored: store.StoredTemplate, usage: coupon_stats.UsageFigures) -> ManagedTemplate:
    return ManagedTemplate(stored.template, stored.status, stored.created_at, stored.created_by,
                           usage)


def list_templates(staff: Principal, status: str | None, limit: int, cursor: str | None) -> dict:
    """Templates newest first, each with its figures (one page computed in parallel)."""
    require_marketing(staff)
    after = decode_cursor(cursor).get("after") if cursor is not None else None
    if cursor is not None and not (isinstance(after, str) and _CREATED_KEY.fullmatch(after)):
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")
    page, following = store.list_templates(status, limit, after)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(page)))) as pool:
        usages = list(pool.map(lambda s: coupon_stats.usage(s.template.id), page))
    return {"items": [_managed(s, u) for s, u in zip(page, usages)],
            "next_cursor": encode_cursor({"after": following}) if following else None}


def change_status(staff: Principal, template_id: str, action: str,
                  now: datetime | None = None) -> ManagedTemplate:
    """pause (ACTIVE -> PAUSED), resume (PAUSED -> ACTIVE), end (ACTIVE|PAUSED -> ENDED)."""
    require_marketing(staff)
    allowed_from, to = _TRANSITIONS[action]
    plausible = plausible_id(template_id)
    if plausible and store.change_status(template_id, allowed_from, to, now or times.now()):
        stored = store.get_template(template_id)
        get_logger().info("coupon template status changed", extra={
            "template_id": template_id, "status": to, "staff_id": staff.subject})
        return _managed(stored, coupon_stats.usage(template_id))
    stored = store.get_template(template_id) if plausible else None
    if stored is None:
        raise NotFound(f"no coupon template {template_id}", code="TEMPLATE_NOT_FOUND")
    raise Conflict(f"a {stored.status} template cannot {action}", code="TEMPLATE_STATUS_CONFLICT")
