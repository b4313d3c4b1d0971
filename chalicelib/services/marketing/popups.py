"""HQ marketing staff running home popups and banners: create, list with statistics, and
pause / resume / end.

Only the `hq` role may (a `marketing` role can be added to MARKETERS when staff accounts get
one). Status moves active -> paused -> active, and active|paused -> ended, each a conditional
write that also requires the window to be still open; anything else is a 409.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime

from chalicelib.domain.cursors import POPUP_CURSOR_PATTERN, check_page
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from chalicelib.domain.identity.roles import Role
from chalicelib.domain.wallet.membership import DEFAULT_LEVELS
from chalicelib.domain.marketing.popup_listings import PopupListing, popup_status
from chalicelib.domain.marketing.targeting import Popup, parse_rules, validate_popup
from chalicelib.domain.times import parse_time
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.services.identity.tokens import Principal
from chalicelib.store.marketing import popups as store
from chalicelib.store.stations import stations as station_store

MARKETERS = (Role.HQ,)
_CURSOR = re.compile(POPUP_CURSOR_PATTERN)
_URL = re.compile(r"https://[!-~]{1,492}")
_LINK = re.compile(r"/?pages/[!-~]{1,190}")
# action -> (states it may start from, state it leads to, code when it cannot)
TRANSITIONS = {"pause": ((store.ACTIVE,), store.PAUSED, "POPUP_NOT_ACTIVE"),
               "resume": ((store.PAUSED,), store.ACTIVE, "POPUP_NOT_PAUSED"),
               "end": ((store.ACTIVE, store.PAUSED), store.ENDED, "POPUP_ENDED")}


def create_popup(staff: Principal, *, title: str, image_url: str, starts_at: str, ends_at: str,
                 link: str | None = None, placement: str = "popup", priority: int = 0,
                 frequency: str = "once_per_day", rules: list | None = None,
                 now: datetime | None = None) -> PopupListing:
    now = now or times.now()
    _require_marketer(staff)
    if not title.strip():
        raise InvalidInput("title must not be blank", code="POPUP_TITLE_REQUIRED", field="title")
    if not _URL.fullmatch(image_url):
        raise InvalidInput("image_url must be an https URL", code="IMAGE_URL_INVALID",
                           field="image_url")
    if link is not None and not _LINK.fullmatch(link):
        raise InvalidInput("link must be a mini-program page path (pages/...)",
                           code="LINK_INVALID", field="link")
    popup = Popup(id=f"pp_{uuid.uuid4().hex[:20]}", starts_at=_time(starts_at, "starts_at"),
                  ends_at=_time(ends_at, "ends_at"), priority=priority, frequency=frequency,
                  rules=parse_rules(rules or [], locate_station=_locate), placement=placement)
    validate_popup(popup, known_levels=[level.name for level in DEFAULT_LEVELS])
    if popup.ends_at <= now:
        raise RuleViolation("the popup would already have ended", code="POPUP_ALREADY_ENDED",
                            field="ends_at")
    record = store.PopupRecord(popup, title.strip(), image_url, link, store.ACTIVE,
                               staff.subject, now)
    if not store.create_popup(record):
        raise Conflict("try again", code="POPUP_ID_TAKEN")
    get_logger().info("popup created", extra={"popup_id": popup.id, "staff_id": staff.subject})
    return PopupListing(record, now)


def list_popups(staff: Principal, limit: int, cursor: str | None,
                now: datetime | None = None) -> dict:
    """Every popup and banner, latest end first, each with its shown and clicked counts."""
    _require_marketer(staff)
    check_page(limit, cursor, _CURSOR)
    now = now or times.now()
    page, following = store.page_popups(cursor, limit)
    return {"items": [PopupListing(store.with_stats(r), now) for r in page],
            "next_cursor": following}


def change_popup(staff: Principal, popup_id: str, action: str,
                 now: datetime | None = None) -> PopupListing:
    """Pause, resume or end a popup (see TRANSITIONS)."""
    _require_marketer(staff)
    now = now or times.now()
    starts, target, refusal = TRANSITIONS[action]
    plausible = 0 < len(popup_id) <= 64 and popup_id.isprintable() and "#" not in popup_id
    if not (plausible and store.change_status(popup_id, starts, target, now)):
        record = store.get_popup(popup_id) if plausible else None
        if record is None:
            raise NotFound(f"no popup {popup_id}", code="POPUP_NOT_FOUND")
        ended = record.status == store.ENDED or record.popup.ends_at <= now
        raise Conflict(f"cannot {action} a popup that is {popup_status(record, now)}",
                       code="POPUP_ENDED" if ended else refusal)
    get_logger().info("popup changed", extra={"popup_id": popup_id, "action": action,
                                              "staff_id": staff.subject})
    return PopupListing(store.with_stats(store.get_popup(popup_id)), now)


def _require_marketer(staff: Principal) -> None:
    if staff.role not in MARKETERS:
        raise Forbidden("only HQ marketing may manage popups", code="ROLE_NOT_ALLOWED")


def _locate(station_id: str) -> tuple[float, float] | None:
    plausible = 0 < len(station_id) <= 64 and station_id.isprintable()
    station = station_store.read_station(station_id) if plausible else None
    return (station.lat, station.lng) if station else None


def _time(text: str, field: str) -> datetime:
    return parse_time(text, field, code="POPUP_TIME_INVALID")
