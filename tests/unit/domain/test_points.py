"""Points: earning, redemption limits, expiring lots spent oldest first, return on refund."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from chalicelib.domain.errors import InvalidInput, RuleViolation
from chalicelib.domain.wallet.points import (
    DEFAULT_RULES, Lot, PointsRules, available_points, earn, expire, live_lots, max_redeemable,
    points_earned, points_returned, redeem_value, redemption_cap_fen, return_lots, spend_lots)

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def lot(ref, points, earned_days_ago, now=T0, lifetime=365):
    earned = now - earned_days_ago * DAY
    return Lot(ref, earned, earned + lifetime * DAY, points)


# --- earning ---------------------------------------------------------------------------------

@pytest.mark.parametrize("paid, points", [(0, 0), (99, 0), (100, 1), (19_999, 199), (20_000, 200)])
def test_one_point_is_earned_per_whole_yuan_paid_rounding_down(paid, points):
    assert points_earned(paid) == points


def test_the_earning_rate_is_configurable():
    double = PointsRules(earn_points=2, earn_per_fen=100)
    one_per_ten_yuan = PointsRules(earn_points=1, earn_per_fen=1_000)

    assert (points_earned(19_999, double), points_earned(19_999, one_per_ten_yuan)) == (398, 19)


def test_an_earning_is_a_lot_that_expires_after_the_lifetime():
    earned = earn("o1", 30_000, T0)

    assert earned == Lot("o1", T0, T0 + 365 * DAY, 300)
    assert earn("o2", 99, T0) is None
    assert earn("o3", 30_000, T0, PointsRules(lifetime_days=30)).expires_at == T0 + 30 * DAY


# --- redemption ------------------------------------------------------------------------------

def test_one_hundred_points_take_one_yuan_off():
    assert redeem_value(500, base_fen=30_000) == 500
    assert redeem_value(0, base_fen=30_000) == 0


def test_points_may_pay_at_most_half_of_the_order():
    assert redemption_cap_fen(30_001) == 15_000
    assert redeem_value(15_000, base_fen=30_001) == 15_000
    with pytest.raises(RuleViolation) as err:
        redeem_value(15_001, base_fen=30_001)

    assert (err.value.code, err.value.field) == ("POINTS_OVER_LIMIT", "points")


def test_points_always_leave_at_least_one_fen_to_pay():
    everything = PointsRules(max_share_percent=100)

    assert redemption_cap_fen(500, everything) == 499
    assert redemption_cap_fen(1) == 0
    with pytest.raises(RuleViolation):
        redeem_value(1, base_fen=1)


def test_points_beyond_those_held_are_refused():
    with pytest.raises(RuleViolation) as err:
        redeem_value(300, base_fen=30_000, available=299)

    assert err.value.code == "POINTS_INSUFFICIENT"


def test_with_a_coarser_rate_points_are_redeemed_in_whole_fen_steps():
    ten_per_fen = PointsRules(redeem_points=1_000, redeem_fen=100)

    assert ten_per_fen.step == 10
    assert redeem_value(1_230, base_fen=30_000, rules=ten_per_fen) == 123
    with pytest.raises(InvalidInput) as err:
        redeem_value(1_235, base_fen=30_000, rules=ten_per_fen)
    assert err.value.code == "POINTS_NOT_A_MULTIPLE"


@pytest.mark.parametrize("points", [-1, 1.5, "100", True, None])
def test_points_must_be_a_non_negative_integer(points):
    with pytest.raises(InvalidInput) as err:
        redeem_value(points, base_fen=30_000)

    assert err.value.code == "POINTS_INVALID"


@pytest.mark.parametrize("kwargs", [{"earn_points": 0}, {"redeem_fen": -1}, {"max_share_percent": 101},
                                    {"lifetime_days": 0}, {"earn_per_fen": 1.5}])
def test_bad_points_rules_are_refused(kwargs):
    with pytest.raises(InvalidInput) as err:
        PointsRules(**kwargs)

    assert err.value.code == "POINTS_RULES_INVALID"


def test_the_most_redeemable_is_the_smaller_of_cap_and_holding_in_whole_steps():
    assert max_redeemable(30_000, 100_000) == 15_000
    assert max_redeemable(30_000, 1_234) == 1_234
    assert max_redeemable(30_000, 1_239, PointsRules(redeem_points=1_000, redeem_fen=100)) == 1_230


# --- lots and expiry -------------------------------------------------------------------------

def test_redemption_takes_the_oldest_points_first():
    lots = [lot("new", 100, 10), lot("old", 50, 300), lot("mid", 80, 100)]

    left, taken = spend_lots(lots, 100, T0)

    assert [(x.ref, x.points) for x in taken] == [("old", 50), ("mid", 50)]
    assert sorted((x.ref, x.points) for x in left) == [("mid", 30), ("new", 100)]


def test_expired_points_cannot_be_spent_but_stay_until_expired():
    lots = [lot("gone", 500, 365), lot("live", 100, 0)]

    assert available_points(lots, T0) == 100
    with pytest.raises(RuleViolation) as err:
        spend_lots(lots, 101, T0)
    assert err.value.code == "POINTS_INSUFFICIENT"
    left, _ = spend_lots(lots, 100, T0)
    assert [(x.ref, x.points) for x in left] == [("gone", 500)]


def test_expiry_counts_the_points_of_lots_whose_time_has_come():
    lots = [lot("a", 10, 364), lot("b", 20, 365), lot("c", 30, 400)]

    assert expire(lots, T0) == 50
    assert [x.ref for x in live_lots(lots, T0)] == ["a"]
    assert expire(lots, T0 + DAY) == 60


# --- return on refund ------------------------------------------------------------------------

def test_a_refund_returns_points_in_proportion_rounding_half_up():
    assert points_returned(1_000, 30_000, 10_000) == 333
    assert points_returned(1_000, 30_000, 15_000) == 500
    assert points_returned(3, 200, 100) == 2
    assert points_returned(1_000, 30_000, 30_000) == 1_000


def test_partial_refunds_return_exactly_the_total_of_one_refund_of_the_same_sum():
    taken = [lot("old", 400, 300), lot("new", 600, 10)]
    steps = [(0, 10_000), (10_000, 10_000), (20_000, 10_000)]

    parts = [return_lots(taken, 30_000, before, amount) for before, amount in steps]

    assert [sum(x.points for x in p) for p in parts] == [333, 334, 333]
    assert [x.ref for x in parts[0]] == ["new"]  # the last points taken come back first


def test_returned_points_keep_the_expiry_they_had():
    old = lot("old", 400, 300)

    back = return_lots([old], 30_000, 0, 30_000)

    assert back == [old]


def test_a_refund_beyond_what_was_paid_is_refused():
    with pytest.raises(RuleViolation) as err:
        return_lots([lot("a", 100, 1)], 30_000, 20_000, 10_001)

    assert err.value.code == "REFUND_EXCEEDS_PAID"


@settings(max_examples=300)
@given(st.lists(st.integers(1, 500), min_size=1, max_size=5), st.integers(1, 100_000), st.data())
def test_several_refunds_never_return_more_than_was_redeemed(taken_points, paid, data):
    taken = [lot(f"l{i}", p, 300 - i) for i, p in enumerate(taken_points)]
    refunded, returned = 0, []
    while refunded < paid and data.draw(st.booleans()):
        amount = data.draw(st.integers(1, paid - refunded))
        returned += return_lots(taken, paid, refunded, amount)
        refunded += amount

    assert sum(x.points for x in returned) == points_returned(sum(taken_points), paid, refunded)
    assert sum(x.points for x in returned) <= sum(taken_points)
    for part in taken:
        assert sum(x.points for x in returned if x.ref == part.ref) <= part.points


@settings(max_examples=300)
@given(st.integers(1, 1_000_000), st.integers(0, 10_000_000), st.sampled_from(
    [DEFAULT_RULES, PointsRules(redeem_points=1_000, redeem_fen=100), PointsRules(max_share_percent=100)]))
def test_the_most_redeemable_is_always_accepted_and_one_step_more_is_not(base, held, rules):
    most = max_redeemable(base, held, rules)

    assert redeem_value(most, base_fen=base, rules=rules, available=held) <= redemption_cap_fen(base, rules)
    with pytest.raises(RuleViolation):
        redeem_value(most + rules.step, base_fen=base, rules=rules, available=held)
