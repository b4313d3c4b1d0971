"""quote() with a coupon and points: order of application, refusals, and the pricing invariants."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings, strategies as st

from chalicelib.domain.marketing.coupons import (
    AMOUNT_OFF, PER_LITRE_OFF, CouponTemplate, claim, coupon_discount, use)
from chalicelib.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from chalicelib.domain.wallet.points import PointsRules
from chalicelib.domain.stations.prices import GradePrice
from chalicelib.domain.stations.pricing import MEMBER_PRICE, quote
from chalicelib.domain.stations.promotions import (
    AMOUNT_OFF_OVER_AMOUNT, PER_LITRE_OFF as PROMO_PER_LITRE, PER_LITRE_OFF_OVER_AMOUNT, Promotion)

NOW = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)
DAY = timedelta(days=1)
GRADES = [GradePrice("92", guide_price_fen=789, pump_price_fen=750, member_prices={"gold": 720})]


def coupon(kind=AMOUNT_OFF, user_id="u1", **figures):
    figures = figures or ({"amount_off_fen": 2_000, "min_spend_fen": 20_000} if kind == AMOUNT_OFF
                          else {"per_litre_off_fen": 30})
    t = CouponTemplate("t1", kind, "券", NOW - DAY, NOW + DAY, total_stock=10, **figures)
    return claim(t, coupon_id="c1", user_id=user_id, now=NOW - DAY)


def promo(id="p1", kind=PROMO_PER_LITRE, **figures):
    return Promotion(id=id, kind=kind, title="", starts_at=NOW - DAY, ends_at=NOW + DAY, **figures)


def price(promotions=(), **kwargs):
    args = {"station_id": "s1", "grade": "92", "now": NOW, "user_id": "u1", **kwargs}
    return quote(GRADES, promotions, **args)


# --- order of application --------------------------------------------------------------------

def test_without_coupon_or_points_the_quote_is_what_it_always_was():
    q = price(member_level="gold", amount_fen=30_000)

    assert (q.discount_fen, q.pay_fen, q.price_fen, q.coupon_fen, q.points_fen, q.points, q.coupon_id) == (
        1_200, 28_800, 720, 0, 0, 0, None)


def test_the_coupon_comes_after_the_member_price_and_points_after_the_coupon():
    q = price(member_level="gold", amount_fen=30_000, coupon=coupon(), points=500)

    assert (q.rule, q.coupon_fen, q.points_fen, q.points, q.coupon_id) == (MEMBER_PRICE, 2_000, 500, 500, "c1")
    assert (q.discount_fen, q.pay_fen) == (1_200 + 2_000 + 500, 26_300)
    assert q.price_fen == 658  # 263.00 yuan for 40 L
    assert q.description == "会员价7.20元/升"


def test_a_per_litre_coupon_adds_to_a_per_litre_promotion_on_the_same_volume():
    q = price([promo(per_litre_off_fen=50)], amount_fen=30_000, coupon=coupon(PER_LITRE_OFF))  # 40 L

    assert (q.discount_fen, q.coupon_fen, q.promotion_id, q.pay_fen) == (3_200, 1_200, "p1", 26_800)


def test_a_coupon_alone_applies_when_no_promotion_does():
    q = price(amount_fen=30_000, coupon=coupon())

    assert (q.rule, q.discount_fen, q.coupon_fen, q.pay_fen) == (None, 2_000, 2_000, 28_000)


def test_the_points_cap_is_half_of_what_is_left_after_the_coupon():
    q = price(amount_fen=30_000, coupon=coupon(), points=14_000)  # 280 yuan left, 140 yuan at most

    assert (q.points_fen, q.pay_fen) == (14_000, 14_000)
    with pytest.raises(RuleViolation) as err:
        price(amount_fen=30_000, coupon=coupon(), points=14_001)
    assert err.value.code == "POINTS_OVER_LIMIT"


def test_the_points_rules_are_passed_through():
    q = price(amount_fen=30_000, points=1_000, points_rules=PointsRules(redeem_points=1_000, redeem_fen=100))

    assert q.points_fen == 100


def test_a_coupon_larger_than_the_amount_still_leaves_one_fen_to_pay():
    q = price(amount_fen=300, coupon=coupon(min_spend_fen=0, amount_off_fen=5_000))

    assert (q.coupon_fen, q.pay_fen) == (299, 1)
    with pytest.raises(RuleViolation):
        price(amount_fen=300, coupon=coupon(min_spend_fen=0, amount_off_fen=5_000), points=1)


def test_a_coupon_below_its_minimum_spend_is_refused_not_capped():
    with pytest.raises(RuleViolation) as err:
        price([promo(kind=AMOUNT_OFF_OVER_AMOUNT, threshold_fen=20_000, amount_off_fen=1_000)],
              amount_fen=19_999, coupon=coupon())

    assert err.value.code == "COUPON_BELOW_MIN_SPEND"


@pytest.mark.parametrize("kwargs, error, code", [
    ({"coupon": coupon(user_id="u2")}, NotFound, "COUPON_NOT_YOURS"),
    ({"coupon": coupon(), "user_id": None}, NotFound, "COUPON_NOT_YOURS"),
    ({"coupon": use(coupon(), "o9")}, RuleViolation, "COUPON_USED"),
    ({"coupon": coupon(), "now": NOW + DAY}, RuleViolation, "COUPON_EXPIRED"),
    ({"coupon": coupon(), "station_id": "s1", "grade": "95"}, InvalidInput, "UNKNOWN_GRADE"),
    ({"points": -1}, InvalidInput, "POINTS_INVALID"),
    ({"points": 2.5}, InvalidInput, "POINTS_INVALID"),
])
def test_a_quote_with_a_bad_coupon_or_points_is_refused_with_its_code(kwargs, error, code):
    with pytest.raises(error) as err:
        price(amount_fen=30_000, **kwargs)

    assert err.value.code == code


def test_within_a_threshold_cap_the_coupon_is_counted_at_the_threshold():
    rule = promo(kind=AMOUNT_OFF_OVER_AMOUNT, threshold_fen=20_000, amount_off_fen=2_000)
    per_litre = coupon(PER_LITRE_OFF)

    under = price([rule], amount_fen=19_500, coupon=per_litre)
    at = price([rule], amount_fen=20_000, coupon=per_litre)

    assert under.pay_fen == at.pay_fen == 20_000 - 2_000 - 800
    assert (under.coupon_fen, under.promotion_id) == (800, "p1")


# --- invariants ------------------------------------------------------------------------------

@st.composite
def promotions(draw):
    kind = draw(st.sampled_from([PROMO_PER_LITRE, PER_LITRE_OFF_OVER_AMOUNT, AMOUNT_OFF_OVER_AMOUNT]))
    if kind == PROMO_PER_LITRE:
        figures = {"per_litre_off_fen": draw(st.integers(1, 2999))}
    elif kind == PER_LITRE_OFF_OVER_AMOUNT:
        figures = {"threshold_fen": draw(st.integers(1, 100_000)), "per_litre_off_fen": draw(st.integers(1, 2999))}
    else:
        threshold = draw(st.integers(2, 100_000))
        figures = {"threshold_fen": threshold, "amount_off_fen": draw(st.integers(1, threshold - 1))}
    return promo(id=draw(st.text("abc", min_size=1, max_size=2)), kind=kind, **figures)


@st.composite
def coupons(draw):
    if draw(st.booleans()):
        minimum = draw(st.sampled_from([0, 1_000, 20_000]))
        off = draw(st.integers(1, max(minimum - 1, 1) if minimum else 10_000))
        return coupon(AMOUNT_OFF, amount_off_fen=off, min_spend_fen=minimum)
    return coupon(PER_LITRE_OFF, per_litre_off_fen=draw(st.integers(1, 2999)),
                  min_spend_fen=draw(st.sampled_from([0, 5_000])))


@st.composite
def stations(draw):
    pump = draw(st.integers(100, 3000))
    member = draw(st.none() | st.integers(1, 3000))
    grades = [GradePrice("92", pump, pump, {} if member is None else {"gold": member})]
    return grades, draw(st.lists(promotions(), max_size=3)), draw(st.sampled_from([None, "gold"]))


def quote_for(station, **kwargs):
    grades, rules, level = station
    return quote(grades, rules, station_id="s1", grade="92", now=NOW, member_level=level, user_id="u1", **kwargs)


@settings(max_examples=300)
@given(stations(), st.integers(1, 500_000))
def test_without_coupon_or_points_the_new_arguments_change_nothing(station, amount):
    assert quote_for(station, amount_fen=amount, coupon=None, points=0) == quote_for(station, amount_fen=amount)


@settings(max_examples=400)
@given(stations(), coupons(), st.integers(1, 500_000), st.integers(0, 300_000))
def test_pay_is_gross_less_every_discount_and_at_least_one_fen(station, c, amount, points):
    try:
        q = quote_for(station, amount_fen=amount, coupon=c, points=points)
    except DomainError as err:
        assert err.code in {"COUPON_BELOW_MIN_SPEND", "POINTS_OVER_LIMIT"}
        return

    assert q.pay_fen == q.gross_fen - q.discount_fen >= 1
    assert 0 <= q.coupon_fen and 0 <= q.points_fen == points
    assert q.coupon_fen + q.points_fen <= q.discount_fen
    assert q.points_fen <= (q.gross_fen - q.discount_fen + q.points_fen) // 2


@settings(max_examples=400)
@given(stations(), coupons(), st.integers(1, 500_000))
def test_a_coupon_the_check_accepts_is_never_refused_by_the_quote_and_never_raises_pay(station, c, amount):
    grades = station[0]
    liters = (amount * 1000 * 2 + grades[0].pump_price_fen) // (2 * grades[0].pump_price_fen)
    try:
        coupon_discount(c, station_id="s1", grade="92", now=NOW, gross_fen=amount, liters_ml=liters, user_id="u1")
    except DomainError:
        return

    with_coupon = quote_for(station, amount_fen=amount, coupon=c)
    without = quote_for(station, amount_fen=amount)

    assert with_coupon.pay_fen <= without.pay_fen


@settings(max_examples=400)
@given(stations(), coupons(), st.integers(5_000, 500_000), st.integers(1, 30_000))
def test_with_a_coupon_pay_never_falls_when_the_amount_rises(station, c, amount, more):
    assume(amount >= c.min_spend_fen)
    pays = [quote_for(station, amount_fen=a, coupon=c).pay_fen for a in (amount, amount + 1, amount + more)]

    assert pays == sorted(pays)


@settings(max_examples=300)
@given(stations(), coupons(), st.integers(1, 200_000), st.integers(0, 50).map(lambda n: n * 100))
def test_the_list_price_for_a_volume_is_what_an_order_for_that_amount_pays(station, c, volume, points):
    try:
        listed = quote_for(station, volume_ml=volume, coupon=c, points=points)
    except DomainError:
        return
    assume(listed.gross_fen > 0)

    ordered = quote_for(station, amount_fen=listed.gross_fen, coupon=c, points=points)

    assert (ordered.pay_fen, ordered.discount_fen, ordered.coupon_fen, ordered.points_fen) == (
        listed.pay_fen, listed.discount_fen, listed.coupon_fen, listed.points_fen)
