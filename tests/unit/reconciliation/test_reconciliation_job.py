"""The schedule reconciles yesterday (Asia/Shanghai) until that day is DONE, then stops."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from chalicelib.jobs import reconciliation as job
from chalicelib.services import reconciliation
from chalicelib.store import reconciliation as store

# 02:30 UTC on 16 January is 10:30 in Shanghai: the bill of the 15th is due.
FIRED_AT = datetime(2026, 1, 16, 2, 30, tzinfo=timezone.utc)


def test_the_schedule_runs_yesterday_in_shanghai_time(aws, monkeypatch):
    runs = []
    monkeypatch.setattr(reconciliation, "run_day", lambda day, now: runs.append(day) or {
        "bill_date": day.isoformat(), "status": "NOT_READY", "error": {"code": "X"}})

    answer = job.reconcile_yesterday(FIRED_AT - timedelta(hours=3))  # 07:30 on the 16th there

    assert runs == [date(2026, 1, 15)]
    assert answer["status"] == "NOT_READY"


def test_a_day_already_done_is_not_run_again(aws, monkeypatch):
    assert store.begin_run("2026-01-15", "t", FIRED_AT, timedelta(minutes=1))
    store.finish_run("2026-01-15", "t", "DONE", {"summary": {}}, FIRED_AT)
    monkeypatch.setattr(reconciliation, "run_day", lambda *a, **k: 1 / 0)

    answer = job.reconcile_yesterday(FIRED_AT)

    assert answer == {"bill_date": "2026-01-15", "status": "DONE", "skipped": True}


def test_a_day_being_run_elsewhere_is_left_alone(aws):
    assert store.begin_run("2026-01-15", "other", FIRED_AT, timedelta(minutes=15))

    answer = reconciliation.run_day(date(2026, 1, 15), now=FIRED_AT + timedelta(minutes=1))

    assert answer == {"bill_date": "2026-01-15", "status": "BUSY"}
