"""What the home page shows a driver now: at most one popup and a few banners, chosen by
domain/targeting.select_for_user, and the views and clicks that feed caps and statistics.

The user's facts are read only when a live popup has a rule that needs them:
- registered_at: the user item (store/identity/users.py);
- member level: services.membership.member_level_of;
- last fuelling: the driver's newest orders (orders GSI by-user, newest first): the first one
  with fuelled_at, looking at most FUELLED_LOOKBACK orders back (a driver with that many
  unfuelled orders in a row counts as never fuelled, i.e. inactive since registering);
- district: the district of the nearest station within DISTRICT_RADIUS_M of the position.
The list of live popups is kept per Lambda for settings.home_popup_cache_s seconds, so home
views do not all read the one index partition; a pause or an end shows within that time.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from chalicelib.domain.errors import NotFound
from chalicelib.domain.marketing.popup_listings import PopupListing, popup_status
from chalicelib.domain.marketing.states import PopupStatus
from chalicelib.domain.marketing.targeting import (
    BANNER, MAX_POPUPS_PER_VISIT, POPUP, UNLIMITED, District, InactiveDays, MemberLevel, NewUser,
    UserFacts, impression_slot, select_for_user)
from chalicelib.domain import times
from chalicelib.settings import get_settings
from chalicelib.store.marketing import popup_views
from chalicelib.store.marketing import popups as popup_store
from chalicelib.store.identity import users as user_store

MAX_BANNERS = 5
FUELLED_LOOKBACK = 60
DISTRICT_RADIUS_M = 5000
_cache: dict = {}


def home_for(user_id: str, position: tuple[float, float] | None,
             now: datetime | None = None) -> dict:
    """{popup: listing | None, banners: [listing]} for this user (the route shapes each into a
    card); position is GCJ-02 (lat, lng)."""
    now = now or times.now()
    candidates = [r for r in live_popups(now) if r.popup.live(now)]
    if not candidates:
        return {"popup": None, "banners": []}
    facts = _facts(user_id, position, candidates, now)
    capped = any(r.popup.frequency != UNLIMITED for r in candidates)
    seen = popup_views.seen_log(user_id, now) if capped else {}
    by_id = {r.popup.id: r for r in candidates}

    def chosen(placement: str, most: int) -> list:
        pool = [r.popup for r in candidates if r.popup.placement == placement]
        return [PopupListing(by_id[p.id], now)
                for p in select_for_user(pool, facts, seen, now, most)]

    popups = chosen(POPUP, MAX_POPUPS_PER_VISIT)
    return {"popup": popups[0] if popups else None, "banners": chosen(BANNER, MAX_BANNERS)}


def record_seen(user_id: str, popup_id: str, now: datetime | None = None) -> bool:
    """Record that the user saw the popup; whether it counted: not when this view's impression
    slot (the day, or ever) was already taken, e.g. by another of the user's devices."""
    now = now or times.now()
    record = _existing(popup_id, now)
    slot = impression_slot(record.popup.frequency, now)
    counted = True
    if slot is not None:
        # a day's slot caps that day only; an "ever" slot only while the popup can show
        expires = now + timedelta(days=2) if slot != "ever" else record.popup.ends_at + timedelta(days=1)
        counted = popup_views.claim_view(user_id, popup_id, slot, now, max(expires, now))
    if counted:
        popup_store.count(popup_id, "shown")
    return counted


def record_click(user_id: str, popup_id: str, now: datetime | None = None) -> bool:
    """Count the user's click once per popup, and only while it is live (whether it counted);
    read afresh, not from the cached list, so a popup paused a moment ago stops counting at
    once."""
    now = now or times.now()
    _existing(popup_id, now)
    record = popup_store.get_popup(popup_id)
    counted = (record is not None and popup_status(record, now) == PopupStatus.LIVE
               and popup_views.claim_view(user_id, popup_id, popup_views.CLICK_SLOT, now,
                                          record.popup.ends_at + timedelta(days=1)))
    if counted:
        popup_store.count(popup_id, "clicked")
    return counted


def live_popups(now: datetime) -> list[popup_store.PopupRecord]:
    """Popups whose window has not closed, from this Lambda's cache when it is fresh."""
    ttl = get_settings().home_popup_cache_s
    if ttl > 0 and _cache.get("until", 0) > time.monotonic():
        return _cache["records"]
    records = popup_store.popups_not_ended(now)
    if ttl > 0:
        _cache.update(records=records, until=time.monotonic() + ttl)
    return records


def clear_cache() -> None:
    _cache.clear()


def _existing(popup_id: str, now: datetime) -> popup_store.PopupRecord:
    plausible = 0 < len(popup_id) <= 64 and popup_id.isprintable() and "#" not in popup_id
    record = next((r for r in live_popups(now) if r.popup.id == popup_id), None) if plausible else None
    record = record or (popup_store.get_popup(popup_id) if plausible else None)
    if record is None:
        raise NotFound(f"no popup {popup_id}", code="POPUP_NOT_FOUND")
    return record


def _facts(user_id: str, position, candidates, now: datetime) -> UserFacts:
    kinds = {type(rule) for r in candidates for rule in r.popup.rules}
    user = user_store.get_user(user_id) if kinds & {NewUser, InactiveDays} else None
    return UserFacts(
        registered_at=user.created_at if user else now,  # no user item: as new as can be
        member_level=_member_level(user_id, now) if MemberLevel in kinds else None,
        last_fuelled_at=_last_fuelled(user_id) if InactiveDays in kinds else None,
        position=position,
        district=_district(position) if District in kinds and position else None)


def _member_level(user_id: str, now: datetime) -> str | None:
    from chalicelib.services.wallet import membership  # the wallet/accounts module

    return membership.member_level_of(user_id, now)


def _last_fuelled(user_id: str) -> datetime | None:
    from chalicelib.store.orders.queries import orders_of_user

    position, looked = None, 0
    while looked < FUELLED_LOOKBACK:
        orders, position = orders_of_user(user_id, 20, position)
        looked += len(orders)
        fuelled = [o.fuelled_at for o in orders if o.fuelled_at is not None]
        if fuelled:
            return max(fuelled)
        if position is None:
            return None
    return None


def _district(position: tuple[float, float]) -> str | None:
    from chalicelib.domain.stations.nearby import nearby_request
    from chalicelib.services.stations.search import search_nearby

    request = nearby_request(*position, radius_m=DISTRICT_RADIUS_M, limit=1)
    items = search_nearby(request)["items"]
    return items[0].district if items else None
