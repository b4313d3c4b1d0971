"""The reconciliation schedule, wired in app.py; thin like the routes.

WeChat Pay cuts day D's bill at about 10:00 on D+1 (Asia/Shanghai). The schedule fires at 10:30
and then hourly until the evening; each firing reconciles yesterday unless it is already DONE, so
a bill not yet ready (or WeChat Pay down) is simply tried again an hour later.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.domain.stations import SHANGHAI


def reconcile_yesterday(now: datetime | None = None) -> dict:
    from chalicelib.services import reconciliation
    from chalicelib.store import reconciliation as store

    now = now or datetime.now(timezone.utc)
    yesterday = now.astimezone(SHANGHAI).date() - timedelta(days=1)
    day = store.read_day(yesterday.isoformat())
    if day is not None and day["status"] == reconciliation.DONE:
        return {"bill_date": yesterday.isoformat(), "status": day["status"], "skipped": True}
    result = reconciliation.run_day(yesterday, now=now)
    return {"bill_date": result["bill_date"], "status": result["status"],
            "summary": result.get("summary"), "error": result.get("error")}
