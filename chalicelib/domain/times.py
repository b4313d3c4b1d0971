"""The one home of time: the clock, the Shanghai zone of business days, and ISO 8601 text.

Times are stored and answered in UTC ("...Z"); business days (reports, reconciliation, price
days) are Asia/Shanghai days. Shanghai has kept UTC+8 without daylight saving since 1991, so a
fixed offset needs no tzdata in the Lambda package. Code reads the clock through `now()` (called
as `times.now()`), so a test moves time for every module by patching this one function.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import overload

from chalicelib.domain.errors import InvalidInput

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(timezone.utc)


@overload
def iso_z(moment: datetime, *, micro: bool = False) -> str: ...
@overload
def iso_z(moment: None, *, micro: bool = False) -> None: ...


def iso_z(moment, *, micro=False):
    """`moment` as UTC text "2026-12-06T03:04:05Z" (with ".ffffffZ" when `micro`: those sort as
    text in DynamoDB keys and conditions); None stays None (a time not set yet)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """ISO 8601 text from a system we trust (our own items, WeChat Pay) as a datetime; "Z"
    is read as UTC. Raises ValueError on malformed text."""
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def business_day(moment: datetime) -> date:
    """The Shanghai day `moment` falls on."""
    return moment.astimezone(SHANGHAI).date()


def parse_time(text: str, field: str, *, code: str) -> datetime:
    """A time a caller sent as an aware UTC time, whole seconds; InvalidInput `code` unless it
    names its zone and lies in 2000..2099 (a naive time would be read in whatever zone the
    server runs in)."""
    try:
        value = datetime.fromisoformat(text)
        value = value.astimezone(timezone.utc) if value.utcoffset() is not None else None
    except (TypeError, ValueError, OverflowError):
        value = None
    if value is None or not 2000 <= value.year <= 2099:
        raise InvalidInput(f"{field} must be an ISO 8601 time in 2000..2099 with Z or an offset",
                           code=code, field=field)
    return value.replace(microsecond=0)


def utc_text(moment: datetime | None) -> str | None:
    """A time as the API writes it: UTC, whole seconds, `Z` (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
