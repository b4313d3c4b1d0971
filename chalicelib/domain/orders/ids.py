"""Identifiers of orders and refunds, derived from what the caller sent so a retry finds its record.

- An order id is a hash of (user, Idempotency-Key): the same key from the same driver always
  names the same order, whatever happens in between, so the order's own conditional put is the
  idempotency record (no separate table, no expiry). It doubles as WeChat Pay's out_trade_no:
  "FO" + 26 base32 characters = 28 of [0-9A-Z], inside the 6-32 of [0-9A-Za-z_-|*].
- A manager refund's out_refund_no is a hash of (order, Idempotency-Key) the same way; the refund a
  confirmation makes and the refund of a payment that arrived after close have one fixed number
  each per order, so a retried step can never refund twice.
- A request hash (canonical JSON) tells "the same request again" from "another request, same key".
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib

from chalicelib.domain.errors import InvalidInput

ORDER_ID_RE = re.compile(r"FO[A-Z2-7]{26}")
REFUND_NO_RE = re.compile(r"(RF[A-Z2-7]{26}|FO[A-Z2-7]{26}-[SLR])")
OUT_TRADE_NO_RE = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
MAX_KEY_LENGTH = 128


def _b32(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:26]


def check_idempotency_key(key: str | None) -> str:
    """The Idempotency-Key header: 1-128 visible ASCII characters (a UUID is typical)."""
    if key is None or key == "":
        raise InvalidInput("the Idempotency-Key header is required", code="IDEMPOTENCY_KEY_REQUIRED",
                           field="Idempotency-Key")
    if len(key) > MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        raise InvalidInput(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} visible ASCII characters",
                           code="IDEMPOTENCY_KEY_INVALID", field="Idempotency-Key")
    return key


def order_id_for(user_id: str, idempotency_key: str) -> str:
    return "FO" + _b32("order", user_id, idempotency_key)


def is_order_id(value: str) -> bool:
    return isinstance(value, str) and ORDER_ID_RE.fullmatch(value) is not None


def manual_refund_no(order_id: str, idempotency_key: str) -> str:
    return "RF" + _b32("refund", order_id, idempotency_key)


def settlement_refund_no(order_id: str) -> str:
    """The one refund of the difference a confirmation with a smaller amount makes."""
    return f"{order_id}-S"


def late_payment_refund_no(order_id: str) -> str:
    """The one full refund of a payment that arrived after the order was closed."""
    return f"{order_id}-L"


def requested_refund_no(order_id: str) -> str:
    """The one full refund a driver's refund request makes (approved or automatic)."""
    return f"{order_id}-R"


def is_refund_no(value: str) -> bool:
    return isinstance(value, str) and REFUND_NO_RE.fullmatch(value) is not None


def request_hash(request: dict) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shard_of(key: str, shards: int) -> str:
    """A stable shard label for spreading a sparse index's partition key ("0".."shards-1")."""
    return str(zlib.crc32(key.encode("utf-8")) % shards)
