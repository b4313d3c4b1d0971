"""Opaque paging cursors: URL-safe base64 of a small JSON object; anything else is a 400."""
from __future__ import annotations

import base64
import binascii
import json

from chalicelib.domain.errors import InvalidInput

MAX_CURSOR_CHARS = 1024


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
