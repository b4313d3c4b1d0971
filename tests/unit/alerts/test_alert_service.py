"""Following a station's grade: what a driver may follow, the limit, the threshold, unfollowing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain.notifications.price_alerts import MAX_ALERTS_PER_USER
from chalicelib.domain.errors import DomainError
from chalicelib.services.notifications import price_alerts as alerts
from chalicelib.store.stations import stations as station_store
from tests.station_factory import make_station

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


def refused(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(DomainError) as err:
        call(*args, **kwargs)
    return type(err.value).__name__, err.value.code


def test_a_driver_follows_a_grade_and_sees_it_listed(station):
    created = alerts.create_alert("u1", station.id, "92", None, now=NOW)

    assert created.created is True and created.station_name == station.name
    assert created.grade_name == "92#汽油" and created.below_price_fen is None
    listed = alerts.list_alerts("u1")
    assert [(a.station_id, a.grade) for a in listed["items"]] == [(station.id, "92")]
    assert listed["next_cursor"] is None


def test_the_same_station_and_grade_again_changes_the_threshold(station):
    alerts.create_alert("u1", station.id, "92", None, now=NOW)

    again = alerts.create_alert("u1", station.id, "92", 700, now=NOW)

    assert again.created is False and again.below_price_fen == 700
    assert len(alerts.list_alerts("u1")["items"]) == 1


@pytest.mark.parametrize("station_id, grade, below, expected", [
    ("ty-missing", "92", None, ("NotFound", "STATION_NOT_FOUND")),
    ("ty-alert-1", "98", None, ("RuleViolation", "GRADE_NOT_SOLD")),
    ("ty-alert-1", "93", None, ("InvalidInput", "UNKNOWN_GRADE")),
    ("ty-alert-1", "92", 5, ("InvalidInput", "ALERT_THRESHOLD_INVALID")),
])
def test_bad_alerts_are_refused_with_their_own_code(station, station_id, grade, below, expected):
    assert refused(alerts.create_alert, "u1", station_id, grade, below, now=NOW) == expected
    assert alerts.list_alerts("u1")["items"] == []


def test_a_driver_cannot_follow_more_than_the_limit(aws):
    for k in range(MAX_ALERTS_PER_USER + 1):
        station_store.put_station(make_station(f"ty-lim-{k}"))
    for k in range(MAX_ALERTS_PER_USER):
        alerts.create_alert("u1", f"ty-lim-{k}", "92", None, now=NOW)

    assert refused(alerts.create_alert, "u1", f"ty-lim-{MAX_ALERTS_PER_USER}", "92", None,
                   now=NOW) == ("RuleViolation", "ALERT_LIMIT_REACHED")
    assert alerts.create_alert("u1", "ty-lim-0", "92", 650, now=NOW).created is False
    alerts.delete_alert("u1", "ty-lim-0", "92")
    assert alerts.create_alert("u1", f"ty-lim-{MAX_ALERTS_PER_USER}", "92", None,
                               now=NOW).created is True


def test_unfollowing_removes_the_alert_and_an_unknown_one_is_not_found(station):
    alerts.create_alert("u1", station.id, "92", None, now=NOW)

    alerts.delete_alert("u1", station.id, "92")

    assert alerts.list_alerts("u1")["items"] == []
    assert refused(alerts.delete_alert, "u1", station.id, "92") == ("NotFound", "ALERT_NOT_FOUND")
    assert refused(alerts.delete_alert, "u1", "a#b", "92") == ("NotFound", "ALERT_NOT_FOUND")


def test_drivers_see_only_their_own_alerts(station):
    alerts.create_alert("u1", station.id, "92", None, now=NOW)

    assert alerts.list_alerts("u2")["items"] == []
    assert refused(alerts.delete_alert, "u2", station.id, "92") == ("NotFound", "ALERT_NOT_FOUND")
