"""The page cursors of order lists, opaque to clients.

Orders, refunds and history entries leave as domain objects; the routes shape them into the
types of api/order_schemas.py (api/shapes.py), so internal fields never leave the server.
"""
from __future__ import annotations

import re

from chalicelib.domain.cursors import ORDER_CURSOR_PATTERN
from chalicelib.domain.errors import InvalidInput

# A page position is the last order's (created_at, id), written "20261126T054400123456-FO...":
# opaque to clients, and exactly describable by a pattern (ORDER_CURSOR_PATTERN, also in the
# API schema), so a cursor of the right shape is always one DynamoDB accepts as a start key.
_CURSOR = re.compile(ORDER_CURSOR_PATTERN)
# A UTC time as PynamoDB stores it, e.g. 2026-11-26T05:44:00.123456+0000.
_STORED = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                     r"\.([0-9]{6})\+0000")


def page_cursor(position: dict | None) -> str | None:
    """The next_cursor of a page of orders ({order_id, created_at} of its last one)."""
    if not position:
        return None
    parts = _STORED.fullmatch(position["created_at"])
    if parts is None:
        raise ValueError(f"unexpected stored time {position['created_at']!r}")
    y, mo, d, h, mi, s, us = parts.groups()
    return f"{y}{mo}{d}T{h}{mi}{s}{us}-{position['order_id']}"


def cursor_position(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    if not _CURSOR.fullmatch(cursor):
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")
    t, order_id = cursor.split("-", 1)
    created_at = f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[9:11]}:{t[11:13]}:{t[13:15]}.{t[15:21]}+0000"
    return {"order_id": order_id, "created_at": created_at}
