"""WeChat subscribe messages: our four templates, WeChat's value rules, and its send error codes.

Value rules of subscribeMessage.send (订阅消息参数值内容限制说明); a value that breaks its rule
makes WeChat refuse the whole message with 47003:
  thing             at most 20 characters: Chinese, letters, digits, symbols; no control characters
  number            at most 32 digits, may have a decimal point
  character_string  at most 32 digits, letters or symbols
  amount            one currency symbol + at most 10 digits, may have decimals, may end in '元'
  time              24-hour time, optionally after a date: '15:01', '2019年10月1日 15:01', '2018-01-01 15:01'
  phrase            at most 5 Chinese characters and nothing else
The type of a value is the prefix of its data key: 'thing1' is a thing, 'amount2' an amount.

Choices:
- thing: WeChat does not define "character". We count UTF-16 code units (an emoji outside the
  BMP counts 2), which stays within 20 whether WeChat counts code points or UTF-16 units. A
  longer text keeps its start and ends in '…' inside the 20, and the cut never splits what
  reads as one character (combining marks, ZWJ emoji sequences, skin tones, variation
  selectors, tag sequences, flags). Control characters become spaces; runs of space collapse.
- character_string, number and phrase are never cut (a cut invoice number is a wrong one):
  a value that does not fit raises InvalidInput.
- amount is always '¥' and two decimals (12345 fen -> '¥123.45'), via money.yuan_text: WeChat
  requires the currency symbol; a bare '123.45元' is refused with 47003.
- time is 'YYYY-MM-DD HH:MM' in Asia/Shanghai; the input must be timezone-aware (UTC).
- Template ids are configuration (settings, per environment); the data keys below belong to
  the templates picked in the WeChat console and must be changed here if another is picked.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import FEN_PER_YUAN, yuan_text
from chalicelib.domain.times import SHANGHAI

PAYMENT_RECEIVED, REFUND_ARRIVED = "payment_received", "refund_arrived"
INVOICE_ISSUED, PRICE_DROP = "invoice_issued", "price_drop"
REFUND_REQUEST = "refund_request"  # a driver's refund request: received, refunded or declined
# Our message kind -> {our field name: WeChat data key}.
TEMPLATE_KEYS: Mapping[str, Mapping[str, str]] = {
    PAYMENT_RECEIVED: {"station": "thing1", "amount": "amount2", "time": "time3"},
    REFUND_ARRIVED: {"amount": "amount1", "reason": "thing2"},
    INVOICE_ISSUED: {"number": "character_string1", "amount": "amount2"},
    PRICE_DROP: {"station": "thing1", "grade": "thing2", "new_price": "amount3", "time": "time4"},
    REFUND_REQUEST: {"station": "thing1", "result": "phrase2", "reason": "thing3"},
}
MESSAGE_KINDS = tuple(TEMPLATE_KEYS)

THING_MAX = 20
CURRENCY = "\u00a5"   # ¥, the currency symbol an amount value starts with
MAX_AMOUNT_FEN = 10**10 - 1  # ten digits in all: 99999999.99 yuan
_ELLIPSIS = "…"
_ZWJ = "\u200d"
_CHARACTER_STRING = re.compile(r"[\x21-\x7e]{1,32}")  # printable ASCII, no space
_NUMBER = re.compile(r"\d+(\.\d+)?")
_PHRASE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{1,5}")
_AMOUNT = re.compile(r"[¥￥$](\d+)(?:\.(\d+))?元?")   # the symbol is required
_TIME = re.compile(r"(?:(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日) ?)?\d{1,2}:\d{2}(?::\d{2})?")


def _utf16_units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _extends_previous(ch: str) -> bool:
    """True for a character that belongs to the one before it (an approximation of UAX #29)."""
    cp = ord(ch)
    return (ch == _ZWJ or unicodedata.category(ch) in ("Mn", "Mc", "Me")
            or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF  # variation selectors
            or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F)  # skin tones, tags


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _grapheme_safe_cut(text: str, cut: int) -> int:
    """Move a cut index back until text[:cut] ends on a whole character as a reader sees it."""
    while cut > 0 and (_extends_previous(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    run = 0
    while run < cut and _is_regional_indicator(text[cut - 1 - run]):
        run += 1
    return cut - 1 if run % 2 else cut  # flags are pairs: never keep half of one


def format_thing(text: str) -> str:
    """A `thing` value: cleaned, and cut to 20 UTF-16 units ending in '…' if longer."""
    if not isinstance(text, str):
        raise InvalidInput("a thing value must be text", code="MESSAGE_VALUE_INVALID")
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text
                      if unicodedata.category(ch) != "Cs")  # lone surrogates cannot be sent
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InvalidInput("a thing value must not be empty", code="MESSAGE_VALUE_EMPTY")
    if _utf16_units(cleaned) <= THING_MAX:
        return cleaned
    cut, used = 0, 0
    while used + _utf16_units(cleaned[cut]) <= THING_MAX - len(_ELLIPSIS):
        used += _utf16_units(cleaned[cut])
        cut += 1
    return cleaned[:_grapheme_safe_cut(cleaned, cut)].rstrip() + _ELLIPSIS


def format_amount(fen: int) -> str:
    """An `amount` value from integer fen: 12345 -> '¥123.45'."""
    if isinstance(fen, bool) or not isinstance(fen, int) or not 0 <= fen <= MAX_AMOUNT_FEN:
        raise InvalidInput(f"an amount must be whole fen in 0..{MAX_AMOUNT_FEN}", code="MESSAGE_VALUE_INVALID")
    return CURRENCY + yuan_text(fen)


def parse_amount(text: str) -> int:
    """Fen of an `amount` value ('¥123.45' -> 12345); InvalidInput if it breaks WeChat's rule."""
    match = _AMOUNT.fullmatch(text) if isinstance(text, str) else None
    whole, decimals = (match.group(1), match.group(2) or "") if match else ("", "")
    if not match or len(whole + decimals) > 10 or len(decimals) > 2:
        raise InvalidInput(f"not an amount: {text!r}", code="MESSAGE_VALUE_INVALID")
    return int(whole) * FEN_PER_YUAN + int(decimals.ljust(2, "0"))


def format_time(at: datetime) -> str:
    """A `time` value: 'YYYY-MM-DD HH:MM' in Asia/Shanghai, from an aware (UTC) datetime."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("a time value must be a timezone-aware datetime", code="MESSAGE_VALUE_INVALID")
    local = at.astimezone(SHANGHAI)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def format_character_string(value: str) -> str:
    """A `character_string` value: 1..32 printable ASCII characters (digits, letters, symbols)."""
    if not isinstance(value, str) or not _CHARACTER_STRING.fullmatch(value):
        raise InvalidInput("a character_string is 1-32 ASCII digits, letters or symbols",
                           code="MESSAGE_VALUE_INVALID")
    return value


def format_number(value: int | str) -> str:
    """A `number` value: at most 32 digits, optionally with a decimal point; never negative."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or len(text) > 32 or not _NUMBER.fullmatch(text):
        raise InvalidInput("a number is at most 32 digits", code="MESSAGE_VALUE_INVALID")
    return text


def format_phrase(value: str) -> str:
    """A `phrase` value: 1..5 Chinese characters and nothing else, e.g. '已退款'."""
    if not isinstance(value, str) or not _PHRASE.fullmatch(value):
        raise InvalidInput("a phrase is 1-5 Chinese characters", code="MESSAGE_VALUE_INVALID")
    return value


FORMATTERS = {"thing": format_thing, "amount": format_amount, "time": format_time,
              "character_string": format_character_string, "number": format_number,
              "phrase": format_phrase}
_CHECKS = {"thing": lambda v: (0 < _utf16_units(v) <= THING_MAX and v == " ".join(v.split())
                               and not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in v)),
           "amount": lambda v: bool(_AMOUNT.fullmatch(v)) and _amount_ok(v),
           "time": lambda v: bool(_TIME.fullmatch(v)),
           "character_string": lambda v: bool(_CHARACTER_STRING.fullmatch(v)),
           "number": lambda v: len(v) <= 32 and bool(_NUMBER.fullmatch(v)),
           "phrase": lambda v: bool(_PHRASE.fullmatch(v))}


def _amount_ok(value: str) -> bool:
    try:
        parse_amount(value)
    except InvalidInput:
        return False
    return True


def value_type(key: str) -> str:
    """The WeChat value type of a data key: 'thing1' -> 'thing', 'character_string3' -> 'character_string'."""
    return key.rstrip("0123456789")


def fits_rule(key: str, value: Any) -> bool:
    """True when an already formatted value obeys WeChat's rule for its key (what a sandbox checks)."""
    check = _CHECKS.get(value_type(key))
    return bool(check and isinstance(value, str) and check(value))


def build_message(kind: str, openid: str, data: Mapping[str, Any], page: str | None, *,
                  template_id: str) -> dict:
    """The exact subscribeMessage.send body for one of our message kinds.

    `data` maps our field names to raw values (text, fen, aware datetimes); each is formatted
    by the type of its WeChat key. Unknown kind, missing or unexpected field, empty openid or
    template id, or a value that cannot be made to fit: InvalidInput. `page` None: no link.
    """
    keys = TEMPLATE_KEYS.get(kind)
    if keys is None:
        raise InvalidInput(f"unknown message kind {kind!r}", code="UNKNOWN_MESSAGE_KIND", field="kind")
    for name, value in (("openid", openid), ("template_id", template_id)):
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"{name} is required", code="MESSAGE_FIELD_MISSING", field=name)
    unexpected = sorted(set(data) - set(keys))
    if unexpected:
        raise InvalidInput(f"{kind} has no field {unexpected[0]!r}", code="UNEXPECTED_MESSAGE_FIELD",
                           field=unexpected[0])
    body_data = {}
    for name, key in keys.items():
        if data.get(name) is None:
            raise InvalidInput(f"{kind} needs {name}", code="MESSAGE_FIELD_MISSING", field=name)
        try:
            body_data[key] = {"value": FORMATTERS[value_type(key)](data[name])}
        except InvalidInput as err:
            raise InvalidInput(f"{name}: {err.message}", code=err.code, field=name) from err
    body = {"touser": openid, "template_id": template_id, "data": body_data}
    if page:
        body["page"] = page
    return body


def accepted_kinds(accepted: list[str], template_ids: Mapping[str, str]) -> list[str]:
    """Our message kinds for the template ids a driver accepted, each once, in the order given.

    One acceptance report grants one message per distinct template: wx.requestSubscribeMessage
    answers one result per template id, so a repeated id is counted once. An id that is not one
    of ours (template_ids: kind -> configured id) raises InvalidInput UNKNOWN_TEMPLATE_ID.
    """
    kind_of = {template_id: kind for kind, template_id in template_ids.items()}
    kinds: list[str] = []
    for template_id in accepted:
        kind = kind_of.get(template_id) if isinstance(template_id, str) else None
        if kind is None:
            raise InvalidInput(f"unknown template id {template_id!r}", code="UNKNOWN_TEMPLATE_ID",
                               field="accepted")
        if kind not in kinds:
            kinds.append(kind)
    return kinds



@dataclass(frozen=True)
class Quota:
    """How many messages of one kind (its configured template) we may still send a driver."""
    kind: str
    template_id: str
    remaining: int


# --- send errors ------------------------------------------------------------------------------
NO_QUOTA, RATE_LIMITED, INVALID, TOKEN, TRANSIENT = "no_quota", "rate_limited", "invalid", "token", "transient"
FINAL_OUTCOMES = frozenset({NO_QUOTA, INVALID})  # never send the same message again
# errcodes of subscribeMessage.send (its own list) and of the global code list it can return.
SEND_ERRCODES: Mapping[int, str] = {
    43101: NO_QUOTA,  # user refused, unsubscribed, or has no one-time quota left
    45009: RATE_LIMITED,  # daily API call limit reached: retry after the day turns
    45011: RATE_LIMITED,  # per-minute limit reached: retry the next minute
    40003: INVALID,  # touser openid empty or wrong
    40037: INVALID,  # template_id empty or wrong
    47003: INVALID,  # a data value breaks its rule (errmsg names the field)
    41030: INVALID,  # page does not exist in the released mini-program
    40001: TOKEN,  # access_token invalid or not the latest
    40014: TOKEN,  # access_token not valid
    42001: TOKEN,  # access_token expired
}


def classify_send_error(errcode: int) -> str:
    """What a failed send means for the caller; -1 (system busy) and unlisted codes are transient.

    Transient and rate_limited are retried a bounded number of times; token means refresh the
    access token and retry once; no_quota and invalid are final.
    """
    if errcode == 0:
        raise ValueError("errcode 0 is success, not an error")
    return SEND_ERRCODES.get(errcode, TRANSIENT)
