"""The schedule reconciles the day before the one it was scheduled on (Asia/Shanghai, from the
event's `time`) until that day is DONE with every safe heal made, then stops."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from chalicelib.domain.reconciliation.report import RecordedDifference
from chalicelib.jobs import reconciliation as job
from chalicelib.services.reconciliation import daily as reconciliation
from chalicelib.store.reconciliation import results as store

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


def _record_runs(monkeypatch) -> list:
    runs = []
    monkeypatch.setattr(reconciliation, "run_day", lambda day, now: runs.append((day, now)) or {
        "bill_date": day.isoformat(), "status": "DONE", "summary": {}})
    return runs


def test_a_late_invocation_reconciles_the_day_it_was_scheduled_for(aws, monkeypatch):
    runs = _record_runs(monkeypatch)
    retried_at = FIRED_AT + timedelta(hours=23)  # 09:30 on the 17th in Shanghai

    answer = job.reconcile_yesterday("2026-01-16T02:30:00Z", now=retried_at)

    assert runs == [(date(2026, 1, 15), retried_at)]  # the run is stamped when it really runs
    assert answer["bill_date"] == "2026-01-15"


def test_without_a_scheduled_time_the_wall_clock_decides_the_day(aws, monkeypatch):
    runs = _record_runs(monkeypatch)

    job.reconcile_yesterday(None, now=FIRED_AT)
    job.reconcile_yesterday("not a time", now=FIRED_AT + timedelta(days=1))

    assert [day for day, _ in runs] == [date(2026, 1, 15), date(2026, 1, 16)]


def test_a_scheduled_time_with_an_offset_is_read_in_shanghai_days(aws, monkeypatch):
    runs = _record_runs(monkeypatch)

    job.reconcile_yesterday("2026-01-16T00:10:00+08:00", now=FIRED_AT)  # 16:10Z on the 15th

    assert runs[0][0] == date(2026, 1, 15)


def test_the_app_schedule_hands_its_event_time_to_the_job(client, monkeypatch):
    runs = _record_runs(monkeypatch)
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:cn-north-1:000000000000:rule/reconcile_trade_bill"],
        region="cn-north-1")
    event["time"] = "2026-01-16T02:30:00Z"

    answer = client.lambda_.invoke("reconcile_trade_bill", event)

    assert [day for day, _ in runs] == [date(2026, 1, 15)]
    assert answer.payload["bill_date"] == "2026-01-15"


def _done_with(outcome: str) -> None:
    assert store.begin_run("2026-01-15", "t", FIRED_AT, timedelta(minutes=1))
    store.record_difference("2026-01-15", store.difference_entry(
        "PAID_NOT_RECORDED", "FO1", None, 3), RecordedDifference(
            kind="PAID_NOT_RECORDED", out_trade_no="FO1", station_id="ty-001",
            action="mark_paid", outcome=outcome))
    store.finish_run("2026-01-15", "t", "DONE", {"summary": {}}, FIRED_AT)


def test_a_done_day_with_a_heal_still_to_retry_is_run_again(aws, monkeypatch):
    _done_with("FAILED")
    runs = _record_runs(monkeypatch)

    job.reconcile_yesterday(FIRED_AT + timedelta(hours=1))

    assert [day for day, _ in runs] == [date(2026, 1, 15)]


def test_a_done_day_whose_heals_are_all_made_is_skipped(aws, monkeypatch):
    _done_with("HEALED")
    monkeypatch.setattr(reconciliation, "run_day", lambda *a, **k: 1 / 0)

    answer = job.reconcile_yesterday(FIRED_AT + timedelta(hours=1))

    assert answer["skipped"] is True
