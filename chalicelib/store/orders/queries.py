"""Reads of many orders through the indexes of store/orders/orders.py: pages for drivers and stations,
and the work lists of the schedules (orders past their payment expiry, shipping info to upload).

Index reads are eventually consistent: a schedule acts on what it finds through a conditional
write (store/orders.commit), so a slightly stale index entry can never apply a change twice.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.orders.orders import Order
from chalicelib.store.orders.orders import SHARDS, OrderModel, to_order


def _page(results, key_names: tuple[str, ...]) -> tuple[list[Order], dict | None]:
    orders = [to_order(model) for model in results]
    last = results.last_evaluated_key
    position = {name: last[name]["S"] for name in key_names} if last else None
    return orders, position


def _start_key(hash_name: str, hash_value: str, position: dict | None) -> dict | None:
    if not position:
        return None
    return {"order_id": {"S": position["order_id"]}, "created_at": {"S": position["created_at"]},
            hash_name: {"S": hash_value}}


def orders_of_user(user_id: str, limit: int,
                   position: dict | None = None) -> tuple[list[Order], dict | None]:
    """Newest first. `position` is what the previous page returned ({order_id, created_at})."""
    results = OrderModel.by_user.query(
        user_id, scan_index_forward=False, limit=limit,
        last_evaluated_key=_start_key("user_id", user_id, position))
    return _page(results, ("order_id", "created_at"))


def orders_of_station_day(station_day: str, limit: int, status: str | None = None,
                          position: dict | None = None) -> tuple[list[Order], dict | None]:
    """Newest first, optionally only those in one status."""
    results = OrderModel.by_station_day.query(
        station_day, scan_index_forward=False, limit=limit,
        filter_condition=(OrderModel.status == status) if status else None,
        last_evaluated_key=_start_key("station_day", station_day, position))
    return _page(results, ("order_id", "created_at"))


def orders_awaiting_payment(expired_by: datetime, limit: int) -> list[Order]:
    """PENDING_PAYMENT orders whose expiry is at or before `expired_by`."""
    found: list[Order] = []
    for shard in range(SHARDS):
        found += [to_order(m) for m in OrderModel.awaiting_payment.query(
            str(shard), OrderModel.expires_at <= expired_by, limit=limit - len(found))]
        if len(found) >= limit:
            break
    return found


def orders_awaiting_shipping(limit: int) -> list[Order]:
    found: list[Order] = []
    for shard in range(SHARDS):
        found += [to_order(m) for m in OrderModel.awaiting_shipping.query(
            str(shard), limit=limit - len(found))]
        if len(found) >= limit:
            break
    return found
