"""What staff read of stations besides their prices: the tank stock as last reported, the price
history (who changed which grade's prices, when, from what to what), and hq's list of every
station of the chain."""
from __future__ import annotations

import re
from datetime import datetime

from chalicelib.domain import times
from chalicelib.domain.cursors import STATION_CURSOR_PATTERN, check_page
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.identity.roles import Role
from chalicelib.domain.stations.staff_listings import ChainStation, StationStock
from chalicelib.services.identity.tokens import Principal
from chalicelib.services.stations.admin import existing_station, require_station
from chalicelib.store.stations import price_history
from chalicelib.store.stations import stations as station_store

MAX_HISTORY = 50  # the store's newest-first page; older changes stay stored
_CURSOR = re.compile(STATION_CURSOR_PATTERN)


def current_inventory(staff: Principal, station_id: str) -> StationStock:
    """The stock of one of the staff member's stations, as the inventory PUT answers it."""
    require_station(staff, station_id)
    return StationStock(existing_station(station_id))


def price_changes(staff: Principal, station_id: str, limit: int = 20) -> dict:
    """The station's newest price changes first (PriceChange, each grade with its old and new
    prices), under the station's id; the route shapes them."""
    check_page(limit, None, _CURSOR, most=MAX_HISTORY)
    require_station(staff, station_id)
    existing_station(station_id)
    return {"station_id": station_id, "items": price_history.price_history(station_id, limit)}


def list_stations(staff: Principal, limit: int, cursor: str | None,
                  now: datetime | None = None) -> dict:
    """hq only: every station of the chain, a page at a time (ChainStation: each with its
    prices and stock), and the cursor of the next page; the route shapes them."""
    if staff.role != Role.HQ:
        raise Forbidden("only hq lists every station", code="ROLE_NOT_ALLOWED")
    check_page(limit, cursor, _CURSOR)
    now = now or times.now()
    stations, last = station_store.page_stations(limit, cursor)
    return {"items": [ChainStation.at(s, now) for s in stations], "next_cursor": last}
