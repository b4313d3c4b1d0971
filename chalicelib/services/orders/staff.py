"""What station staff read: the orders of one of their stations on a business day, and the full
history of an order (every change, who made it, the amounts before and after)."""
from __future__ import annotations

from datetime import date, datetime

from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.identity.roles import Role
from chalicelib.domain.times import SHANGHAI
from chalicelib.services.orders.fuelling import station_order
from chalicelib.services.orders.views import cursor_position, page_cursor
from chalicelib.store.orders import events as order_events, queries as order_queries
from chalicelib.store.orders.orders import station_day


def _station(staff, station_id: str | None) -> str:
    if station_id is None:
        if staff.role != Role.HQ and len(staff.station_ids) == 1:
            return next(iter(staff.station_ids))
        raise InvalidInput("station_id is required", code="STATION_REQUIRED", field="station_id")
    if not staff.can_act_on_station(station_id):
        raise Forbidden("that is not one of your stations", code="NOT_YOUR_STATION")
    return station_id


def _day(day: date | None, now: datetime) -> datetime:
    if day is None:
        return now
    return datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


def list_station_orders(staff, *, station_id: str | None, status: str | None, day: date | None,
                        limit: int, cursor: str | None, now: datetime) -> dict:
    """Orders of a station's Asia/Shanghai business day (default today), newest first."""
    key = station_day(_station(staff, station_id), _day(day, now))
    orders, position = order_queries.orders_of_station_day(key, limit, status,
                                                           cursor_position(cursor))
    return {"items": orders, "next_cursor": page_cursor(position)}


def order_history(staff, order_id: str) -> dict:
    order = station_order(staff, order_id)
    return {"order": order, "items": order_events.list_events(order.id)}
