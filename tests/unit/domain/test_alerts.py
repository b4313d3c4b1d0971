"""Price-drop alerts: which price changes alert a follower, and the limits on following."""
import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.notifications.price_alerts import (
    ALERT_LIMIT_REACHED, GRADE_NOT_SOLD, MAX_ALERTS_PER_USER, Alert, check_alert_limit,
    check_grade_sold, should_alert)
from chalicelib.domain.errors import InvalidInput, RuleViolation

ANY_DROP = Alert("u1", "s1", "92")
BELOW_750 = Alert("u1", "s1", "92", below_price_fen=750)
PRICES = st.integers(100, 3000)


def test_any_drop_alerts_a_follower_without_a_threshold():
    assert should_alert(ANY_DROP, 780, 779)


def test_a_rise_or_an_unchanged_price_never_alerts():
    for alert in (ANY_DROP, BELOW_750):
        assert not should_alert(alert, 740, 760)
        assert not should_alert(alert, 740, 740)


def test_a_threshold_alerts_only_when_the_price_crosses_below_it():
    assert should_alert(BELOW_750, 760, 749)
    assert should_alert(BELOW_750, 750, 749)  # was at the threshold, not below it
    assert not should_alert(BELOW_750, 760, 750)  # at the threshold is not below it
    assert not should_alert(BELOW_750, 790, 760)  # a drop that stays above
    assert not should_alert(BELOW_750, 740, 730)  # already below: told when it crossed


def test_without_an_old_price_nothing_has_dropped():
    assert not should_alert(ANY_DROP, None, 700)
    assert not should_alert(BELOW_750, None, 700)


@given(PRICES, PRICES, st.one_of(st.none(), PRICES))
def test_an_alert_always_means_the_price_fell_and_a_threshold_was_crossed(old, new, threshold):
    alert = Alert("u1", "s1", "95", below_price_fen=threshold)

    alerted = should_alert(alert, old, new)

    if threshold is None:
        assert alerted == (new < old)
    else:
        assert alerted == (new < threshold <= old)


@given(st.lists(PRICES, min_size=2, max_size=40), PRICES)
def test_a_threshold_alerts_at_most_once_per_crossing(prices, threshold):
    alert = Alert("u1", "s1", "95", below_price_fen=threshold)
    alerts = sum(should_alert(alert, old, new) for old, new in zip(prices, prices[1:]))
    crossings = sum(old >= threshold > new for old, new in zip(prices, prices[1:]))

    assert alerts == crossings


@pytest.mark.parametrize("kwargs, code, field", [
    (dict(user_id=""), "ALERT_FIELD_MISSING", "user_id"),
    (dict(station_id=None), "ALERT_FIELD_MISSING", "station_id"),
    (dict(grade=""), "ALERT_FIELD_MISSING", "grade"),
    (dict(below_price_fen=99), "ALERT_THRESHOLD_INVALID", "below_price_fen"),
    (dict(below_price_fen=3001), "ALERT_THRESHOLD_INVALID", "below_price_fen"),
    (dict(below_price_fen=7.5), "ALERT_THRESHOLD_INVALID", "below_price_fen"),
    (dict(below_price_fen=True), "ALERT_THRESHOLD_INVALID", "below_price_fen"),
])
def test_a_malformed_alert_is_refused(kwargs, code, field):
    args = {"user_id": "u1", "station_id": "s1", "grade": "92", **kwargs}

    with pytest.raises(InvalidInput) as err:
        Alert(**args)

    assert (err.value.code, err.value.field) == (code, field)


def test_a_user_may_follow_up_to_the_limit_and_no_more():
    check_alert_limit(MAX_ALERTS_PER_USER - 1)

    with pytest.raises(RuleViolation) as err:
        check_alert_limit(MAX_ALERTS_PER_USER)

    assert err.value.code == ALERT_LIMIT_REACHED


def test_an_alert_for_a_grade_the_station_does_not_sell_is_a_rule_violation():
    check_grade_sold("95", {"92", "95"})

    with pytest.raises(RuleViolation) as err:
        check_grade_sold("98", {"92", "95"})

    assert (err.value.code, err.value.field) == (GRADE_NOT_SOLD, "grade")
