"""Times a caller sends: ISO 8601 with Z or an offset, read as aware UTC, whole seconds."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.errors import InvalidInput


def parse_time(text: str, field: str, *, code: str) -> datetime:
    """`text` as an aware UTC time; InvalidInput `code` unless it names its zone and lies in
    2000..2099 (a naive time would be read in whatever zone the server runs in)."""
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
