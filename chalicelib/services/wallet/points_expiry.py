"""The nightly write-off of expired points (jobs/points.py, scheduled in app.py).

Lots expire at the end of an Asia/Shanghai day (domain/wallet/accounts.py), so a run just after
midnight there finds every lot due. Accounts are found through the sparse `points-expiry` index
(accounts with points, keyed by their soonest expiry): a run reads only accounts with lots due,
never the whole table. Each account is re-read and changed conditionally
(services/wallet/accounts.change_account), so overlapping or retried runs write each expiry once.
A run works through pages of due accounts until none is left or its time budget is spent; the
schedule fires a few times each night, so what one run leaves the next one takes.
"""
from __future__ import annotations

import time
from datetime import datetime

from chalicelib.observability import get_logger
from chalicelib.domain.wallet.points_changes import for_points_expiry
from chalicelib.services.wallet.accounts import change_account
from chalicelib.store.wallet import accounts as store

PAGE = 100


def expire_due(now: datetime, *, budget_s: float = 20.0) -> dict:
    counts = {"accounts": 0, "expired_points": 0, "failed": 0}
    deadline, seen = time.monotonic() + budget_s, set()
    while time.monotonic() < deadline:
        page = [u for u in store.accounts_with_points_due(now, PAGE + len(seen)) if u not in seen]
        if not page:
            break
        for user_id in page:
            seen.add(user_id)
            _expire_one(user_id, now, counts)
            if time.monotonic() >= deadline:
                break
    return counts


def _expire_one(user_id: str, now: datetime, counts: dict) -> None:
    try:
        change = change_account(user_id, lambda account: for_points_expiry(account, now))
    except Exception:  # noqa: BLE001 - one account must not stop the others; next run retries
        get_logger().exception("points expiry failed", extra={"user_id": user_id})
        counts["failed"] += 1
        return
    if change is not None:
        counts["accounts"] += 1
        counts["expired_points"] += change.before.points - change.after.points
