"""The API contract as code: each route declares its request and response types once, and the
same declaration validates requests (msgspec) and generates the OpenAPI document.

`route()` in api/http.py records an Operation here for every view it registers.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

from chalicelib.domain.errors import InvalidInput
from chalicelib.type_plans import planned


class Error(msgspec.Struct):
    """Every error answer: a stable code, human words, and the offending field when known."""
    code: str
    message: str
    field: str | None = None
    # Figures some errors carry: FAR_FROM_STATION has distance_m, max_distance_m and
    # nearest_station ({id, name, payee, distance_m} or null); PRICE_CHANGED has the new quote
    # (grade, price_fen, list_price_fen, pump_amount_fen, discount_fen, coupon_fen, points_fen,
    # pay_amount_fen, liters_ml, promotion_id, member_level, price_version): nothing was
    # written, and the same request (same Idempotency-Key) orders at the new price.
    details: dict | None = None


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    tag: str
    auth: str | None  # "driver", "driver_optional", "staff", "wechatpay" or None
    body: type | None
    query: type | None
    ok_status: int
    ok: type | None
    errors: dict[int, tuple[str, ...]] = field(default_factory=dict)  # status -> codes
    headers: tuple[str, ...] = ()  # required request headers, e.g. Idempotency-Key
    path_schemas: dict[str, dict] = field(default_factory=dict)  # path parameter -> JSON Schema
    conditional: bool = False  # answers with an ETag, and 304 to a matching If-None-Match


OPERATIONS: list[Operation] = []


def literal_of(values: type[StrEnum]):
    """The values of `values` as a Literal: `{"enum": [...]}` in the document, as the fields
    written before one_of (below) show them."""
    return Literal[tuple(member.value for member in values)]


def one_of(values: type[StrEnum]):
    """A text field holding a member of `values`: the OpenAPI document lists them as its `enum`
    (so clients and the fuzzer know them) and a request with any other value is a 400.

    A Literal of the values rather than the enum itself, so the schema stays inline
    (`{"type": "string", "enum": [...]}`) instead of a `$ref` to a component of its own;
    decoded values are plain text, which compares equal to the members.
    """
    return Annotated[literal_of(values), msgspec.Meta(extra_json_schema={"type": "string"})]

_AT = re.compile(r" - at `\$\.?([^`]*)`$")
_NAMED = re.compile(r"field `([^`]+)`")


def _field_of(message: str) -> str | None:
    match = _AT.search(message) or _NAMED.search(message)
    return match.group(1) if match else None


def _invalid(err: msgspec.ValidationError, where: str) -> InvalidInput:
    message = str(err)
    name = _field_of(message)
    code = "FIELD_REQUIRED" if message.startswith("Object missing required field") else (
        "UNKNOWN_FIELD" if message.startswith("Object contains unknown field") else "FIELD_INVALID")
    if name is None and message.startswith("Expected `object`"):
        code = "BODY_NOT_OBJECT"
    if where == "query":
        code = code.replace("FIELD", "PARAM")
    return InvalidInput(f"{where}: {message}", code=code, field=name)


def _json_number(text: str):
    """JSON has one number type: 1879.0 is the integer 1879, as JSON Schema says."""
    value = float(text)
    return int(value) if value.is_integer() else value


def decode_body(raw: bytes | None, body_type: type):
    if not raw or not raw.strip():
        raise InvalidInput("a JSON object body is required", code="BODY_REQUIRED")
    try:
        data = json.loads(raw, parse_float=_json_number)
    except (ValueError, RecursionError) as err:
        raise InvalidInput("the body is not valid JSON", code="MALFORMED_JSON") from err
    try:
        return msgspec.convert(data, type=planned(body_type), strict=True)
    except msgspec.ValidationError as err:
        raise _invalid(err, "body") from err


def decode_query(params: dict | None, query_type: type):
    try:
        # Query values arrive as text; strict=False lets "5000" become 5000 where an int is due.
        return msgspec.convert(dict(params or {}), type=planned(query_type), strict=False)
    except msgspec.ValidationError as err:
        raise _invalid(err, "query") from err
