"""Member levels from the rolling 12 months' spend."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.wallet.membership import (
    DEFAULT_LEVELS, Level, level_for, next_level, rolling_spend, validate_levels, window_start)

NOW = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("spend, level", [
    (0, None), (99_999, None), (100_000, "silver"), (299_999, "silver"), (300_000, "gold"),
    (800_000, "platinum"), (10**9, "platinum"), (-500, None),
])
def test_the_level_is_the_highest_threshold_the_spend_reaches(spend, level):
    assert level_for(spend) == level


def test_levels_and_thresholds_are_configurable():
    levels = (Level("v1", 1), Level("v2", 50_000))

    assert (level_for(0, levels), level_for(1, levels), level_for(50_000, levels)) == (None, "v1", "v2")


def test_the_next_level_says_how_much_is_still_to_spend():
    assert next_level(250_000) == ("gold", 50_000)
    assert next_level(0) == ("silver", 100_000)
    assert next_level(800_000) is None


@pytest.mark.parametrize("levels", [
    (), (Level("a", 100), Level("b", 100)), (Level("a", 0),), (Level("a", 100), Level("a", 200)),
    (Level("b", 200), Level("a", 100)), (Level("", 100),), (Level("a", 1.5),),
])
def test_bad_levels_are_refused(levels):
    with pytest.raises(InvalidInput) as err:
        validate_levels(levels)

    assert err.value.code == "LEVELS_INVALID"


def test_the_default_levels_are_valid():
    assert validate_levels(DEFAULT_LEVELS) is None


def test_the_window_goes_back_twelve_calendar_months():
    assert window_start(NOW) == datetime(2023, 5, 1, 8, 30, tzinfo=timezone.utc)
    assert window_start(datetime(2024, 2, 29, tzinfo=timezone.utc)) == datetime(2023, 2, 28, tzinfo=timezone.utc)


def test_the_rolling_spend_counts_orders_less_refunds_inside_the_window_only():
    movements = [
        (NOW - timedelta(days=400), 500_000),  # too old
        (window_start(NOW), 100_000),  # the first instant of the window counts
        (NOW - timedelta(days=30), 250_000),
        (NOW - timedelta(days=10), -50_000),  # a refund
        (NOW + timedelta(seconds=1), 999_999),  # not yet
    ]

    assert rolling_spend(movements, NOW) == 300_000
    assert level_for(rolling_spend(movements, NOW)) == "gold"
    assert rolling_spend([(NOW, -10)], NOW) == 0


@given(st.integers(0, 10**8), st.integers(0, 10**8))
def test_spending_more_never_lowers_the_level(a, b):
    order = [None] + [level.name for level in DEFAULT_LEVELS]

    assert order.index(level_for(min(a, b))) <= order.index(level_for(max(a, b)))
