"""The reconciliation schedule, wired in app.py; thin like the routes.

WeChat Pay cuts day D's bill at about 10:00 on D+1 (Asia/Shanghai). The schedule fires at 10:30
and then hourly until the evening; each firing reconciles the day before the one it was
scheduled on, unless that day is already DONE with every safe heal applied: a bill not yet
ready, WeChat Pay down, or a heal that could not be made yet is simply tried again an hour later
(by the firings of D+1; after that the day's report shows what is left for a person).

The day comes from the scheduled event's `time` (when EventBridge meant it to fire), not from
the clock: an invocation that starts late or is retried after midnight still reconciles the day
it was scheduled for. The run itself (its lease, what it records, the events of a healed order)
is stamped with the wall clock, which is when it really happens.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from chalicelib.domain import times
from chalicelib.domain.times import business_day
from chalicelib.observability import get_logger
from chalicelib.needs import SETTLES_ORDERS


def scheduled_time(text: str | None) -> datetime | None:
    """An EventBridge `time` ("2026-11-27T02:30:00Z") as an aware UTC datetime; None when absent
    or unreadable (the caller then takes the wall clock: a schedule must still run)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        get_logger().warning("scheduled event time unreadable", extra={"time": repr(text)[:64]})
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else \
        moment.astimezone(timezone.utc)


def day_before(scheduled_at: datetime) -> date:
    """The bill day a firing is for: the day before its own day in Asia/Shanghai."""
    return business_day(scheduled_at) - timedelta(days=1)


def _heals_left(bill_date: str) -> bool:
    """A DONE day still has a heal to retry (WeChat Pay did not answer, or a run stopped midway):
    the next firing runs the day again, which retries exactly those and repeats nothing else."""
    from chalicelib.services.reconciliation import healing
    from chalicelib.store.reconciliation import results as store

    return any(d.outcome in healing.RETRYABLE for d in store.differences(bill_date))


def reconcile_yesterday(scheduled_at: datetime | str | None = None, *,
                        now: datetime | None = None) -> dict:
    """Reconcile the day before `scheduled_at` (a datetime or the event's `time` text; the wall
    clock when absent); `now` (the wall clock by default) stamps the run."""
    from chalicelib.services.reconciliation import daily as reconciliation
    from chalicelib.store.reconciliation import results as store

    now = now or times.now()
    if isinstance(scheduled_at, str) or scheduled_at is None:
        scheduled_at = scheduled_time(scheduled_at)
    bill_date = day_before(scheduled_at or now)
    key = bill_date.isoformat()
    day = store.read_day(key)
    if day is not None and day["status"] == reconciliation.DONE and not _heals_left(key):
        return {"bill_date": key, "status": day["status"], "skipped": True}
    result = reconciliation.run_day(bill_date, now=now)
    return {"bill_date": result["bill_date"], "status": result["status"],
            "summary": result.get("summary"), "error": result.get("error")}


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "reconcile_trade_bill": SETTLES_ORDERS.with_tables({"reconciliation": "RPUD"}),
}
