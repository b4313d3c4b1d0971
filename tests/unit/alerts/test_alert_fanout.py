"""A price drop reaches followers through the fan-out queue: one message per price change,
then one page of followers per message, each follower's event once."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from chalice.app import SQSEvent

from chalicelib.domain.stations.staff_listings import StationPrices
from chalicelib.jobs import alerts as alert_jobs
from chalicelib.services.notifications import price_alerts as alerts
from chalicelib.services.outbox import delivery as outbox
from chalicelib.services.stations import admin as station_admin
from tests.conftest import reset_caches
from tests.station_factory import staff
from tests.unit.sqs_outage import SqsOutage

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
MANAGER = staff("manager", "ty-alert-1")


def lower_92_to(pump_fen: int, guide_fen: int = 718) -> StationPrices:
    return station_admin.update_prices(MANAGER, "ty-alert-1", [("92", guide_fen, pump_fen)], now=NOW)


def run_fanout(queues) -> list[dict]:
    """Handle fan-out messages (continuations included) until none is left; the events sent."""
    while pending := queues.fanout():
        for message in pending:
            alerts.fan_out(message)
    return queues.notifications()


def follow(users, grade="92", below=None):
    for user in users:
        alerts.create_alert(user, "ty-alert-1", grade, below, now=NOW)


def test_a_price_drop_puts_one_message_on_the_fanout_queue(station, queues):
    follow(["u1", "u2"])

    lower_92_to(700)

    [message] = queues.fanout()
    assert message == {"station_id": "ty-alert-1", "station_name": station.name,
                       "changed_at": "2026-11-26T02:00:00.000000Z",
                       "changes": [{"grade": "92", "old_price_fen": 718, "new_price_fen": 700}]}
    assert queues.notifications() == []  # nothing is sent on the request path


def test_a_rise_or_a_guide_price_change_announces_nothing(station, queues):
    follow(["u1"])

    lower_92_to(730, guide_fen=730)
    station_admin.update_prices(MANAGER, "ty-alert-1", [("92", 740, 730)], now=NOW)

    assert queues.fanout() == []


def test_every_follower_gets_one_price_drop_event_with_a_deterministic_id(station, queues):
    follow(["u1", "u2", "u3"])
    follow(["u9"], grade="95")
    lower_92_to(700)

    events = run_fanout(queues)

    assert sorted(e["user_id"] for e in events) == ["u1", "u2", "u3"]
    first = next(e for e in events if e["user_id"] == "u1")
    assert first == {"kind": "price_drop", "user_id": "u1",
                     "event_id": "drop:ty-alert-1:92:2026-11-26T02:00:00.000000Z:u1",
                     "data": {"station": station.name, "grade": "92#汽油", "new_price": 700,
                              "time": "2026-11-26T02:00:00+00:00"},
                     "page": "pages/station/detail?id=ty-alert-1"}


def test_thresholds_alert_only_followers_whose_price_was_crossed(station, queues):
    follow(["any"])
    follow(["crossed"], below=710)
    follow(["not-yet"], below=690)
    follow(["already-below"], below=800)

    lower_92_to(700)

    assert sorted(e["user_id"] for e in run_fanout(queues)) == ["any", "crossed"]


def test_many_followers_are_paged_through_continuation_messages(station, queues, monkeypatch):
    monkeypatch.setenv("ALERT_FANOUT_PAGE_SIZE", "3")
    reset_caches()
    follow([f"u{k:02d}" for k in range(8)])
    lower_92_to(700)

    handled, handed_over = [], []
    while pending := queues.fanout():
        for message in pending:
            handled.append(message)
            handed_over.append(alerts.fan_out(message))

    assert handed_over == [3, 3, 2]  # one page per message, never more
    assert [m.get("after") for m in handled] == [None, "u02", "u05"]
    assert sorted(e["user_id"] for e in queues.notifications()) == [f"u{k:02d}" for k in range(8)]


def test_a_redelivered_message_hands_over_the_same_event_ids(station, queues):
    follow(["u1", "u2"])
    lower_92_to(700)
    [message] = queues.fanout()

    alerts.fan_out(message)
    alerts.fan_out(message)

    ids = [e["event_id"] for e in queues.notifications()]
    assert len(ids) == 4 and len(set(ids)) == 2  # the notifier sends each id once


def test_a_change_of_two_grades_fans_out_grade_by_grade(station, queues):
    follow(["u92"])
    follow(["u95"], grade="95")

    station_admin.update_prices(MANAGER, "ty-alert-1", [("92", 718, 700), ("95", 768, 750)],
                                now=NOW)

    events = run_fanout(queues)
    assert {(e["user_id"], e["data"]["grade"]) for e in events} == {("u92", "92#汽油"),
                                                                    ("u95", "95#汽油")}


def test_a_drop_made_while_sqs_is_down_is_announced_once_when_it_is_back(station, queues,
                                                                         monkeypatch):
    monkeypatch.setenv("OUTBOX_GRACE_S", "0")
    reset_caches()
    follow(["u1", "u2"])
    outage = SqsOutage(monkeypatch)

    result = lower_92_to(700)

    assert result.changed == ("92",)
    assert station_admin.station_store.get_station("ty-alert-1").grade_price("92").pump_price_fen == 700
    assert outbox.sweep() == {"pending": 1, "sent": 0}  # still down: the message waits
    outage.recover()
    assert queues.fanout() == []

    assert outbox.sweep() == {"pending": 1, "sent": 1}
    assert outbox.sweep() == {"pending": 0, "sent": 0}
    events = run_fanout(queues)
    assert sorted(e["user_id"] for e in events) == ["u1", "u2"]


def _sqs_event(*bodies: str) -> SQSEvent:
    records = [{"messageId": f"m{k}", "receiptHandle": f"r{k}", "body": body, "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:cn-north-1:123456789012:fuel-local-alert-fanout",
                "awsRegion": "cn-north-1"} for k, body in enumerate(bodies)]
    return SQSEvent({"Records": records}, context=None)


def test_the_job_reports_a_bad_record_and_handles_the_others(station, queues):
    follow(["u1"])
    lower_92_to(700)
    [message] = queues.fanout()

    answer = alert_jobs.handle_messages(_sqs_event("not json", json.dumps(message), "[1]"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m2"}]}
    assert [e["user_id"] for e in queues.notifications()] == ["u1"]
