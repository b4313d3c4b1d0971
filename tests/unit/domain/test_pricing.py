"""One pricing function for the list and the order: figures, stacking and invariants."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.prices import GradePrice, validate_price
from chalicelib.domain.stations.pricing import MEMBER_PRICE, quote
from chalicelib.domain.stations.promotions import (
    AMOUNT_OFF_OVER_AMOUNT, PER_LITRE_OFF, PER_LITRE_OFF_OVER_AMOUNT, Promotion, describe)

NOW = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)
DAY = timedelta(days=1)
GRADE_92 = GradePrice("92", guide_price_fen=789, pump_price_fen=750, member_prices={"gold": 720})
GRADES = [GRADE_92, GradePrice("95", guide_price_fen=840, pump_price_fen=800)]


def promo(id="p1", kind=PER_LITRE_OFF, *, starts_at=NOW - DAY, ends_at=NOW + DAY, **figures):
    return Promotion(id=id, kind=kind, title="", starts_at=starts_at, ends_at=ends_at, **figures)


def price(promotions=(), grades=GRADES, **kwargs):
    args = {"station_id": "s1", "grade": "92", "now": NOW, **kwargs}
    return quote(grades, promotions, **args)


# --- figures ---------------------------------------------------------------------------------

def test_without_promotions_the_driver_pays_the_pump_amount():
    q = price(amount_fen=20000)

    assert (q.pay_fen, q.discount_fen, q.price_fen, q.liters_ml) == (20000, 0, 750, 26667)
    assert (q.rule, q.promotion_id, q.description) == (None, None, None)
    assert (q.list_price_fen, q.guide_price_fen) == (750, 789)


def test_a_straight_reduction_takes_off_per_litre_of_the_pump_amount():
    q = price([promo(per_litre_off_fen=50)], amount_fen=30000)  # 40 L at 7.50

    assert (q.liters_ml, q.discount_fen, q.pay_fen, q.price_fen) == (40000, 2000, 28000, 700)
    assert (q.rule, q.promotion_id, q.description) == (PER_LITRE_OFF, "p1", "直降0.50元/升")


def test_a_per_litre_reduction_over_an_amount_starts_at_the_threshold():
    rule = promo(kind=PER_LITRE_OFF_OVER_AMOUNT, threshold_fen=20000, per_litre_off_fen=30)

    at = price([rule], amount_fen=20000)
    above = price([rule], amount_fen=30000)

    assert at.discount_fen == 800  # 26.667 L x 0.30
    assert (above.discount_fen, above.pay_fen, above.price_fen) == (1200, 28800, 720)


def test_a_fixed_reduction_over_an_amount_gives_the_average_price_paid():
    q = price([promo(kind=AMOUNT_OFF_OVER_AMOUNT, threshold_fen=30000, amount_off_fen=2000)], amount_fen=30000)

    assert (q.discount_fen, q.pay_fen, q.price_fen) == (2000, 28000, 700)
    assert q.description == "满300元减20元"


def test_the_member_price_applies_for_a_member_level_with_a_price():
    member = price(member_level="gold", volume_ml=40000)
    stranger = price(member_level="silver", volume_ml=40000)

    assert (member.gross_fen, member.discount_fen, member.price_fen, member.rule) == (30000, 1200, 720, MEMBER_PRICE)
    assert member.description == "会员价7.20元/升"
    assert stranger.discount_fen == 0


def test_the_list_quote_for_a_volume_prices_the_volume_at_the_pump_price():
    q = price([promo(per_litre_off_fen=50)], grade="95", volume_ml=40000)

    assert (q.gross_fen, q.discount_fen, q.pay_fen, q.price_fen, q.liters_ml) == (32000, 2000, 30000, 750, 40000)


def test_just_under_a_threshold_the_driver_pays_no_more_than_at_the_threshold():
    rule = promo(kind=AMOUNT_OFF_OVER_AMOUNT, threshold_fen=20000, amount_off_fen=2000)

    under = price([rule], amount_fen=19500)
    far_under = price([rule], amount_fen=17000)

    assert (under.pay_fen, under.discount_fen, under.promotion_id) == (18000, 1500, "p1")
    assert under.description == "满200元减20元（未满200元，按满额应付封顶）"
    assert (far_under.pay_fen, far_under.discount_fen) == (17000, 0)


# --- stacking --------------------------------------------------------------------------------

def test_only_the_single_best_discount_applies():
    rules = [promo("a", per_litre_off_fen=20), promo("b", kind=AMOUNT_OFF_OVER_AMOUNT, threshold_fen=20000,
                                                      amount_off_fen=1500)]

    q = price(rules, member_level="gold", amount_fen=30000)  # a: 800, b: 1500, member: 1200

    assert (q.discount_fen, q.promotion_id) == (1500, "b")


def test_ties_go_to_the_member_price_then_to_the_smallest_promotion_id():
    rules = [promo("z", per_litre_off_fen=30), promo("m", per_litre_off_fen=30)]

    assert price(rules, member_level="gold", volume_ml=40000).rule == MEMBER_PRICE
    assert price(rules, volume_ml=40000).promotion_id == "m"


@pytest.mark.parametrize("rule", [
    promo(station_ids={"other"}, per_litre_off_fen=50),
    promo(grades={"95"}, per_litre_off_fen=50),
    promo(starts_at=NOW + timedelta(seconds=1), per_litre_off_fen=50),
    promo(ends_at=NOW, per_litre_off_fen=50),
], ids=["other station", "other grade", "not started", "ended at now"])
def test_an_ineligible_promotion_never_applies(rule):
    assert price([rule], amount_fen=30000).discount_fen == 0


def test_a_promotion_applies_from_its_start_instant():
    assert price([promo(starts_at=NOW, per_litre_off_fen=50)], amount_fen=30000).discount_fen == 2000


# --- input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, code", [
    ({}, "AMOUNT_OR_VOLUME_REQUIRED"),
    ({"amount_fen": 100, "volume_ml": 1000}, "AMOUNT_OR_VOLUME_REQUIRED"),
    ({"amount_fen": 0}, "AMOUNT_INVALID"),
    ({"volume_ml": -5}, "VOLUME_INVALID"),
    ({"amount_fen": 100, "grade": "98"}, "UNKNOWN_GRADE"),
])
def test_bad_quote_input_is_refused_with_its_own_code(kwargs, code):
    with pytest.raises(InvalidInput) as err:
        price(**kwargs)

    assert err.value.code == code


@pytest.mark.parametrize("kwargs, code", [
    ({"ends_at": NOW - DAY, "per_litre_off_fen": 50}, "PROMOTION_WINDOW_INVALID"),
    ({"starts_at": NOW, "ends_at": NOW, "per_litre_off_fen": 50}, "PROMOTION_WINDOW_INVALID"),
    ({"starts_at": datetime(2024, 5, 1), "per_litre_off_fen": 50}, "PROMOTION_WINDOW_INVALID"),
    ({"per_litre_off_fen": -50}, "PROMOTION_FIGURE_INVALID"),
    ({"per_litre_off_fen": 0}, "PROMOTION_FIGURE_INVALID"),
    ({"kind": AMOUNT_OFF_OVER_AMOUNT, "threshold_fen": 2000, "amount_off_fen": 2000}, "PROMOTION_FIGURE_INVALID"),
    ({"kind": PER_LITRE_OFF_OVER_AMOUNT, "per_litre_off_fen": 30}, "PROMOTION_FIGURE_INVALID"),
    ({"kind": "buy_one_get_one", "per_litre_off_fen": 30}, "PROMOTION_KIND_UNKNOWN"),
    ({"station_ids": [], "per_litre_off_fen": 30}, "PROMOTION_SCOPE_INVALID"),
])
def test_bad_promotions_are_refused_with_their_own_code(kwargs, code):
    with pytest.raises(InvalidInput) as err:
        promo(**kwargs)

    assert err.value.code == code


@pytest.mark.parametrize("guide, pump", [(0, 750), (789, -1), (789, 99), (3001, 750), (789, 7.5), (True, 750)])
def test_non_positive_or_absurd_prices_are_refused(guide, pump):
    with pytest.raises(InvalidInput) as err:
        validate_price(guide, pump)

    assert err.value.code == "PRICE_INVALID"


def test_prices_within_bounds_are_accepted():
    assert validate_price(100, 3000) is None


@pytest.mark.parametrize("rule, words", [
    (promo(per_litre_off_fen=50), "直降0.50元/升"),
    (promo(kind=PER_LITRE_OFF_OVER_AMOUNT, threshold_fen=20000, per_litre_off_fen=30), "满200元每升减0.30元"),
    (promo(kind=AMOUNT_OFF_OVER_AMOUNT, threshold_fen=30000, amount_off_fen=2000), "满300元减20元"),
    (promo(kind=AMOUNT_OFF_OVER_AMOUNT, threshold_fen=19950, amount_off_fen=550), "满199.50元减5.50元"),
])
def test_promotions_are_described_in_the_words_of_the_list(rule, words):
    assert describe(rule) == words


# --- invariants ------------------------------------------------------------------------------

pump_prices = st.integers(100, 3000)
windows = st.sampled_from([(NOW - DAY, NOW + DAY), (NOW, NOW + DAY), (NOW - DAY, NOW), (NOW + DAY, NOW + 2 * DAY)])


@st.composite
def promotions(draw):
    kind = draw(st.sampled_from([PER_LITRE_OFF, PER_LITRE_OFF_OVER_AMOUNT, AMOUNT_OFF_OVER_AMOUNT]))
    starts_at, ends_at = draw(windows)
    if kind == PER_LITRE_OFF:
        figures = {"per_litre_off_fen": draw(st.integers(1, 2999))}
    elif kind == PER_LITRE_OFF_OVER_AMOUNT:
        figures = {"threshold_fen": draw(st.integers(1, 100_000)), "per_litre_off_fen": draw(st.integers(1, 2999))}
    else:
        threshold = draw(st.integers(2, 100_000))
        figures = {"threshold_fen": threshold, "amount_off_fen": draw(st.integers(1, threshold - 1))}
    return Promotion(id=draw(st.text("abcxyz", min_size=1, max_size=3)), kind=kind, title="t",
                     starts_at=starts_at, ends_at=ends_at,
                     station_ids=draw(st.none() | st.sampled_from([{"s1"}, {"s2"}, {"s1", "s2"}])),
                     grades=draw(st.none() | st.sampled_from([{"92"}, {"95"}])), **figures)


@st.composite
def stations(draw):
    pump = draw(pump_prices)
    member = draw(st.none() | st.integers(1, 3000))
    grade = GradePrice("92", pump, pump, {} if member is None else {"gold": member})
    return [grade], draw(st.lists(promotions(), max_size=4)), draw(st.sampled_from([None, "gold"]))


def quote_for(station, **kwargs):
    grades, rules, level = station
    return quote(grades, rules, station_id="s1", grade="92", now=NOW, member_level=level, **kwargs)


@settings(max_examples=300)
@given(stations(), st.integers(1, 500_000))
def test_pay_is_gross_less_discount_and_never_negative_nor_above_gross(station, amount):
    q = quote_for(station, amount_fen=amount)

    assert q.pay_fen == q.gross_fen - q.discount_fen
    assert 0 <= q.discount_fen < q.gross_fen
    assert 1 <= q.pay_fen <= q.gross_fen == amount
    assert q.promotion_id is None or any(r.id == q.promotion_id and r.applies("s1", "92", NOW) for r in station[1])


@settings(max_examples=300)
@given(stations(), st.integers(1, 500_000), st.integers(1, 30_000))
def test_pay_never_falls_when_the_amount_rises(station, amount, more):
    assert quote_for(station, amount_fen=amount).pay_fen <= quote_for(station, amount_fen=amount + more).pay_fen
    assert quote_for(station, amount_fen=amount).pay_fen <= quote_for(station, amount_fen=amount + 1).pay_fen


@settings(max_examples=300)
@given(stations(), st.integers(1, 500_000))
def test_several_promotions_cost_what_the_best_one_alone_costs(station, amount):
    grades, rules, level = station
    alone = [quote_for((grades, [r], None), amount_fen=amount).pay_fen for r in rules]
    alone.append(quote_for((grades, [], level), amount_fen=amount).pay_fen)

    assert quote_for(station, amount_fen=amount).pay_fen == min(alone)


@settings(max_examples=300)
@given(stations(), st.integers(1, 200_000))
def test_the_list_price_for_a_volume_is_what_an_order_for_that_pump_amount_pays(station, volume):
    listed = quote_for(station, volume_ml=volume)
    assume(listed.gross_fen > 0)  # a few millilitres at a low price round to nothing

    ordered = quote_for(station, amount_fen=listed.gross_fen)

    assert (ordered.pay_fen, ordered.discount_fen, ordered.promotion_id) == (
        listed.pay_fen, listed.discount_fen, listed.promotion_id)


@settings(max_examples=200)
@given(stations(), st.integers(1, 500_000))
def test_promotions_for_other_stations_grades_or_times_never_apply(station, amount):
    grades, rules, _ = station
    ineligible = [r for r in rules if not r.applies("s1", "92", NOW)]

    assert quote_for((grades, ineligible, None), amount_fen=amount).discount_fen == 0
