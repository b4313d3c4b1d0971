"""Caps on what one driver can make us ask WeChat Pay for (each unpaid order or top-up is a
create call there, each check of a pending one a query), counted atomically in
store/throttles.py."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import RateLimited
from chalicelib.settings import get_settings
from chalicelib.store import throttles


# Unpaid orders are capped inside the order's own transaction (no round trip of their own): the
# order path reads the window's members with its other items, refuses early when the cap is
# reached, and stages the count with the order, conditional on the cap still holding.
def unpaid_orders_read(user_id: str, *, now: datetime):
    """A batch read (store/batch.py) of the unpaid orders counted in the current window."""
    return throttles.read_distinct(f"unpaid-orders#{user_id}",
                                   window_s=get_settings().order_payment_ttl_s, now=now)


def check_unpaid_orders(counted: frozenset, order_id: str) -> None:
    """Raise TOO_MANY_UNPAID_ORDERS when `order_id` would pass the cap (a retry never does)."""
    if len(counted | {order_id}) > get_settings().driver_max_unpaid_orders:
        raise RateLimited("too many unpaid orders; pay or cancel one first",
                          code="TOO_MANY_UNPAID_ORDERS")


def stage_unpaid_order(tx, user_id: str, order_id: str, *, now: datetime) -> None:
    settings = get_settings()
    throttles.stage_distinct(tx, f"unpaid-orders#{user_id}", order_id,
                             limit=settings.driver_max_unpaid_orders,
                             window_s=settings.order_payment_ttl_s, now=now)


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
