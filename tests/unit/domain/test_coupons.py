"""Coupon templates, claims and the one check of a coupon against an order."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.marketing.coupons import (
    AMOUNT_OFF, EXPIRED, PER_LITRE_OFF, USABLE, USED, CouponTemplate, check_claim, claim,
    coupon_discount, coupon_status, describe_coupon, use)
from chalicelib.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation

NOW = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def template(kind=AMOUNT_OFF, **kwargs):
    figures = {"amount_off_fen": 2_000, "min_spend_fen": 20_000} if kind == AMOUNT_OFF else {"per_litre_off_fen": 30}
    args = {"id": "t1", "kind": kind, "title": "油卡券", "starts_at": NOW - DAY, "ends_at": NOW + 10 * DAY,
            "total_stock": 100, **figures, **kwargs}
    return CouponTemplate(**args)


def held(t=None, user_id="u1", at=NOW):
    return claim(t or template(), coupon_id="c1", user_id=user_id, now=at)


def discount(coupon, **kwargs):
    args = {"station_id": "s1", "grade": "92", "now": NOW, "gross_fen": 30_000, "liters_ml": 40_000,
            "user_id": "u1", **kwargs}
    return coupon_discount(coupon, **args)


# --- claims ----------------------------------------------------------------------------------

def test_a_claim_at_the_edges_of_the_window_stock_and_limit_is_accepted():
    last_coupon = template(per_user_limit=2, issued=99)  # of a stock of 100

    assert check_claim(last_coupon, user_claims_count=1, now=last_coupon.starts_at) is None
    assert check_claim(last_coupon, user_claims_count=1,
                       now=last_coupon.ends_at - timedelta(microseconds=1)) is None


@pytest.mark.parametrize("changes, count, now, code", [
    ({}, 0, NOW - 2 * DAY, "COUPON_NOT_STARTED"),
    ({}, 0, NOW + 10 * DAY, "COUPON_EXPIRED"),
    ({"issued": 100}, 0, NOW, "COUPON_OUT_OF_STOCK"),
    ({}, 1, NOW, "COUPON_LIMIT_REACHED"),
    ({"per_user_limit": 3}, 3, NOW, "COUPON_LIMIT_REACHED"),
])
def test_a_refused_claim_says_why(changes, count, now, code):
    with pytest.raises(RuleViolation) as err:
        check_claim(template(**changes), user_claims_count=count, now=now)

    assert err.value.code == code


def test_a_coupon_with_a_fixed_window_is_usable_from_its_claim_to_the_window_end():
    c = held(at=NOW)

    assert (c.valid_from, c.valid_until, c.user_id, c.template_id) == (NOW, NOW + 10 * DAY, "u1", "t1")


def test_a_coupon_valid_for_n_days_runs_from_its_claim():
    c = held(template(valid_days=7), at=NOW + 5 * DAY)

    assert c.valid_until == NOW + 12 * DAY


def test_a_coupon_keeps_its_figures_when_the_template_changes_later():
    c = held()
    changed = replace(template(), amount_off_fen=1_000)

    assert (c.amount_off_fen, changed.amount_off_fen) == (2_000, 1_000)


# --- the check at order time -----------------------------------------------------------------

def test_a_full_reduction_coupon_takes_its_amount_from_its_minimum_spend():
    assert discount(held(), gross_fen=20_000) == 2_000


def test_a_per_litre_coupon_takes_its_reduction_on_the_litres():
    assert discount(held(template(PER_LITRE_OFF)), liters_ml=26_667) == 800


def test_a_coupon_without_a_threshold_applies_to_any_amount():
    assert discount(held(template(min_spend_fen=0, amount_off_fen=500)), gross_fen=1) == 500


@pytest.mark.parametrize("coupon, kwargs, code", [
    (held(), {"gross_fen": 19_999}, "COUPON_BELOW_MIN_SPEND"),
    (held(template(PER_LITRE_OFF, min_spend_fen=10_000)), {"gross_fen": 9_999}, "COUPON_BELOW_MIN_SPEND"),
    (held(), {"now": NOW + 10 * DAY}, "COUPON_EXPIRED"),
    (held(), {"now": NOW - timedelta(seconds=1)}, "COUPON_NOT_STARTED"),
    (held(template(station_ids={"s2"})), {}, "COUPON_OUT_OF_SCOPE"),
    (held(template(grades={"95", "98"})), {}, "COUPON_OUT_OF_SCOPE"),
    (use(held(), "o1"), {}, "COUPON_USED"),
], ids=["below min", "per-litre below min", "expired", "before claim", "station", "grade", "used"])
def test_a_coupon_that_does_not_apply_is_refused_with_its_own_code(coupon, kwargs, code):
    with pytest.raises(RuleViolation) as err:
        discount(coupon, **kwargs)

    assert (err.value.code, err.value.field) == (code, "coupon_id")


def test_another_users_coupon_is_not_found():
    with pytest.raises(NotFound) as err:
        discount(held(user_id="u2"))

    assert err.value.code == "COUPON_NOT_YOURS"


def test_a_used_and_expired_coupon_reads_as_used():
    c = use(held(), "o1")

    assert coupon_status(c, NOW + 30 * DAY) == USED
    with pytest.raises(RuleViolation) as err:
        discount(c, now=NOW + 30 * DAY)
    assert err.value.code == "COUPON_USED"


def test_the_status_is_usable_until_the_end_of_validity():
    c = held()

    assert (coupon_status(c, NOW + 10 * DAY - timedelta(microseconds=1)), coupon_status(c, NOW + 10 * DAY)) == (
        USABLE, EXPIRED)


# --- templates -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, kwargs, code", [
    ("gift", {}, "COUPON_KIND_UNKNOWN"),
    (AMOUNT_OFF, {"ends_at": NOW - DAY}, "COUPON_WINDOW_INVALID"),
    (AMOUNT_OFF, {"starts_at": datetime(2024, 5, 1)}, "COUPON_WINDOW_INVALID"),
    (AMOUNT_OFF, {"amount_off_fen": 0}, "COUPON_FIGURE_INVALID"),
    (AMOUNT_OFF, {"min_spend_fen": 2_000}, "COUPON_FIGURE_INVALID"),
    (AMOUNT_OFF, {"per_litre_off_fen": 30}, "COUPON_FIGURE_INVALID"),
    (PER_LITRE_OFF, {"per_litre_off_fen": 3_000}, "COUPON_FIGURE_INVALID"),
    (PER_LITRE_OFF, {"min_spend_fen": -1}, "COUPON_FIGURE_INVALID"),
    (AMOUNT_OFF, {"total_stock": 0}, "COUPON_STOCK_INVALID"),
    (AMOUNT_OFF, {"per_user_limit": 0}, "COUPON_STOCK_INVALID"),
    (AMOUNT_OFF, {"valid_days": 0}, "COUPON_VALIDITY_INVALID"),
    (AMOUNT_OFF, {"grades": []}, "COUPON_SCOPE_INVALID"),
])
def test_bad_templates_are_refused_with_their_own_code(kind, kwargs, code):
    with pytest.raises(InvalidInput) as err:
        template(kind, **kwargs)

    assert err.value.code == code


@pytest.mark.parametrize("t, words", [
    (template(), "满200元减20元"),
    (template(min_spend_fen=0, amount_off_fen=550), "无门槛减5.50元"),
    (template(PER_LITRE_OFF), "每升减0.30元"),
    (template(PER_LITRE_OFF, min_spend_fen=10_000), "每升减0.30元（满100元可用）"),
])
def test_coupons_are_described_in_the_words_of_the_list(t, words):
    assert describe_coupon(t) == words


@given(st.integers(1, 1_000_000), st.integers(0, 200_000), st.sampled_from(["s1", "s2"]),
       st.sampled_from(["92", "95"]), st.integers(-20, 20), st.sampled_from(["u1", "u2"]))
def test_the_check_either_gives_a_discount_or_a_coded_refusal(gross, liters, station, grade, days, user):
    c = held(template(station_ids={"s1"}, grades={"92"}))

    try:
        fen = discount(c, gross_fen=gross, liters_ml=liters, station_id=station, grade=grade, now=NOW + days * DAY,
                       user_id=user)
    except DomainError as err:
        assert err.code.startswith("COUPON_")
    else:
        assert fen == 2_000 and gross >= 20_000 and (station, grade, user) == ("s1", "92", "u1")
