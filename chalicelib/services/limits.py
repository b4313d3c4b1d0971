"""Caps on what one driver can make us ask WeChat Pay for (each unpaid order or top-up is a
create call there, each check of a pending one a query), counted atomically in
store/throttles.py."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import RateLimited
from chalicelib.settings import get_settings
from chalicelib.store import throttles


def cap_unpaid_orders(user_id: str, order_id: str, *, now: datetime) -> None:
    settings = get_settings()
    _cap(f"unpaid-orders#{user_id}", order_id, settings.driver_max_unpaid_orders,
         settings.order_payment_ttl_s, now, "orders", "TOO_MANY_UNPAID_ORDERS")


def cap_unpaid_topups(user_id: str, topup_id: str, *, now: datetime) -> None:
    settings = get_settings()
    _cap(f"unpaid-topups#{user_id}", topup_id, settings.driver_max_unpaid_topups,
         settings.topup_payment_ttl_s, now, "top-ups", "TOO_MANY_UNPAID_TOPUPS")


def may_check_payment(order_id: str, *, now: datetime) -> bool:
    """At most one WeChat Pay check of a pending order per interval, however often it is read."""
    return throttles.claim_every(f"payment-check#{order_id}",
                                 interval_s=get_settings().payment_check_interval_s, now=now)


def _cap(key: str, made: str, limit: int, window_s: int, now: datetime, what: str,
         code: str) -> None:
    # One window is one payment lifetime: an unpaid one is closed by the window's end, so at
    # most twice the limit can be open at any moment. Counted by id: the same request sent
    # twice at once (one Idempotency-Key) is one order or top-up, and counts once.
    if throttles.count_distinct(key, made, window_s=window_s, now=now) > limit:
        raise RateLimited(f"too many unpaid {what}; pay or cancel one first", code=code)
