"""Paging cursors: opaque ones (URL-safe base64 of a small JSON object; anything else is a 400)
and the exact shape of each listing's own cursor.

A listing whose every cursor of the right shape is a valid position states that shape here
once: its service checks cursors against it and its route puts it in the API schema. They live
in this light module, not the services, so importing a route does not load its service.
"""
from __future__ import annotations

import base64
import binascii
import json
import re

from chalicelib.domain.errors import InvalidInput

MAX_CURSOR_CHARS = 1024

# Orders: the last order's (created_at, id), written "20261126T054400123456-FO...", so a cursor
# of the right shape is always one DynamoDB accepts as a start key.
ORDER_CURSOR_PATTERN = r"^[0-9]{8}T[0-9]{12}-FO[A-Z2-7]{26}$"
# Invoices: `<created_at>~<invoice_id>` of the last invoice of the page.
INVOICE_CURSOR_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z~inv_[0-9a-f]{32}$"
# Nearby stations: "<first>.<second>.<station id>": for sort=distance the last distance (mm)
# and how many stations the pages so far held; for price and cost the last value (fen) and
# distance (mm). Station ids are [A-Za-z0-9_-]; "~" sorts after all of them ("past every
# station at that distance").
NEARBY_CURSOR_PATTERN = r"^([0-9]{1,12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{1,64}|~)$"
# Promotions: "<ends_at>#<promotion id>", the index sort key of the last promotion listed.
PROMOTION_CURSOR_PATTERN = \
    r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z#[A-Za-z0-9_]{1,64}$"
# Home popups: "<ends_at>#<popup id>", the listing index's sort key of the last popup listed.
POPUP_CURSOR_PATTERN = \
    r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z#[A-Za-z0-9_]{1,64}$"

# Staff accounts: the last username of the page (a scan's start key; usernames are plain ASCII).
STAFF_CURSOR_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"

# Stations listed for hq: the last station id of the page (a scan's start key).
STATION_CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def check_page(limit: int, cursor: str | None, pattern: re.Pattern, most: int = 100) -> None:
    """A listing's page size (1..most) and cursor (of the listing's own shape), else a 400."""
    if not 1 <= limit <= most:
        raise InvalidInput(f"limit must be 1..{most}", code="LIMIT_OUT_OF_RANGE", field="limit")
    if cursor is not None and not pattern.fullmatch(cursor):
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")


def encode_cursor(position: dict) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict:
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor") from err
    if not isinstance(position, dict):
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")
    return position
