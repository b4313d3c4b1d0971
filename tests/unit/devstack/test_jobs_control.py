"""The local control surface fires an app's schedule on request, as if at a given time, through
the worker's own invocation (handler resolved from the app's event sources, EventBridge event)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from chalice import Chalice, Cron, Rate

from devstack import jobs_control, worker

demo = Chalice(app_name="jobs-demo")
fired: list[dict] = []


@demo.schedule(Cron(30, "2-15", "*", "*", "?", "*"))
def nightly(event):
    fired.append(event.to_dict())
    return {"saw_time": event.time, "when": datetime(2026, 11, 27, tzinfo=timezone.utc)}


@demo.schedule(Rate(1, unit=Rate.MINUTES))
def broken(event):
    raise RuntimeError("the bill is unreadable")


@pytest.fixture
def control(monkeypatch):
    fired.clear()
    resolved = []
    handlers = {"app.nightly": nightly, "app.broken": broken}
    # Every demo schedule's handler_string is "app.<name>" (Chalice's convention); the worker
    # would import it from app.py, here it is found among the demo's own functions.
    monkeypatch.setattr(worker, "resolve_handler",
                        lambda handler_string: resolved.append(handler_string)
                        or handlers[handler_string])
    client = jobs_control.create_app("cn-north-1", load_app=lambda: demo).test_client()
    client.resolved = resolved
    return client


def test_a_schedule_fires_with_the_given_time_and_answers_the_handlers_result(control):
    answer = control.post("/schedules/nightly/run", json={"time": "2026-11-27T10:30:00+08:00"})

    assert answer.status_code == 200
    assert answer.get_json() == {
        "schedule": "nightly", "time": "2026-11-27T02:30:00Z",
        "result": {"saw_time": "2026-11-27T02:30:00Z", "when": "2026-11-27 00:00:00+00:00"}}
    assert control.resolved == ["app.nightly"]
    event = fired[0]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:cn-north-1:000000000000:rule/nightly"]


def test_without_a_time_the_schedule_fires_as_of_now(control):
    before = datetime.now(timezone.utc).replace(microsecond=0)

    answer = control.post("/schedules/nightly/run")

    fired_at = datetime.fromisoformat(answer.get_json()["time"])
    assert answer.status_code == 200 and before <= fired_at <= datetime.now(timezone.utc)
    assert fired[0]["time"] == answer.get_json()["time"]


def test_a_failing_handler_answers_500_with_its_error(control):
    answer = control.post("/schedules/broken/run", json={})

    assert answer.status_code == 500
    assert answer.get_json() == {"code": "HANDLER_FAILED",
                                 "message": "RuntimeError: the bill is unreadable"}


def test_an_unknown_schedule_is_404_and_names_the_known_ones(control):
    answer = control.post("/schedules/nope/run", json={})

    assert answer.status_code == 404
    assert answer.get_json()["code"] == "SCHEDULE_NOT_FOUND"
    assert "broken, nightly" in answer.get_json()["message"]
    assert fired == [] and control.resolved == []


@pytest.mark.parametrize("body", [
    {"time": "2026-11-27T02:30:00"},  # no offset: which 02:30?
    {"time": "2026-11-27"}, {"time": "tomorrow"}, {"time": 1764210600},
    {"time": "2026-11-27T02:30:00Z", "extra": 1}, ["2026-11-27T02:30:00Z"],
])
def test_a_bad_body_or_time_is_400_and_runs_nothing(control, body):
    answer = control.post("/schedules/nightly/run", json=body)

    assert answer.status_code == 400
    assert answer.get_json()["code"] in ("TIME_INVALID", "BODY_INVALID")
    assert fired == []


def test_a_body_that_is_not_json_is_400(control):
    answer = control.post("/schedules/nightly/run", data="time=now",
                          content_type="application/json")

    assert (answer.status_code, answer.get_json()["code"]) == (400, "BODY_INVALID")


def test_the_schedules_are_listed_with_their_expressions(control):
    answer = control.get("/schedules")

    assert answer.get_json() == {"items": [
        {"name": "broken", "handler": "app.broken", "expression": "rate(1 minute)"},
        {"name": "nightly", "handler": "app.nightly", "expression": "cron(30 2-15 * * ? *)"}]}


def test_the_worker_fires_schedules_with_an_eventbridge_time(monkeypatch):
    monkeypatch.setattr(worker, "resolve_handler", lambda _: nightly)
    fired.clear()

    worker.fire_schedule(worker.schedules_of(demo)["nightly"], "cn-north-1")

    fired_at = datetime.fromisoformat(fired[0]["time"])
    assert fired[0]["time"].endswith("Z")
    assert abs((datetime.now(timezone.utc) - fired_at).total_seconds()) < 5
