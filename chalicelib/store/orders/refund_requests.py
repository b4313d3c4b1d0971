"""Open refund requests, read through the sparse `open-refund-requests` index of the orders table
(store/orders/orders.py): only orders whose request is OPEN carry its key, so both reads touch
open requests only. The index is eventually consistent: callers decide on a consistent re-read.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.orders.orders import Order
from chalicelib.store.orders.orders import OrderModel, to_order


def open_of_station(station_id: str, limit: int) -> list[Order]:
    """The station's open requests, oldest first (the one waiting longest on top)."""
    return [to_order(m) for m in OrderModel.open_refund_requests.query(
        station_id, scan_index_forward=True, limit=limit)]


def opened_before(cutoff: datetime, limit: int) -> list[Order]:
    """Open requests of every station made at or before `cutoff`, at most `limit`."""
    found: list[Order] = []
    for model in OrderModel.open_refund_requests.scan(
            filter_condition=OrderModel.refund_requested_at <= cutoff, page_size=100):
        found.append(to_order(model))
        if len(found) >= limit:
            break
    return found
