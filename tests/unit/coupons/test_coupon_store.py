"""The coupon store on moto: claims as one transaction, the claimable list, a driver's coupons,
and spending / giving back a coupon inside an order's transaction."""
from __future__ import annotations

from dataclasses import replace

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.marketing.coupons import PER_LITRE_OFF
from chalicelib.store.marketing import coupon_claims, coupon_templates, coupons
from chalicelib.store.base import get_connection, transaction_condition_failed
from tests.unit.coupons.factory import DAY, NOW, claimed, make_template, new_coupon, new_user_id


@pytest.fixture(autouse=True)
def tables(aws):
    return aws


def refusal_of(template, user_id, now=NOW) -> str:
    with pytest.raises(coupon_claims.ClaimRefused) as refused:
        claimed(template, user_id, now)
    return refused.value.reason


def test_a_claim_stores_the_coupon_and_raises_both_counters():
    template = make_template(per_user_limit=2)
    user = new_user_id()

    coupon = claimed(template, user)

    assert coupons.get_coupon(coupon.id) == coupon
    assert coupon_templates.get_template(template.id).template.issued == 1
    assert coupons.claimed_counts(user, [template.id]) == {template.id: 1}


def test_the_last_coupon_goes_and_the_next_claim_is_sold_out_with_nothing_written():
    template = make_template(total_stock=1)
    claimed(template)
    late = new_user_id()

    assert refusal_of(template, late) == coupon_claims.SOLD_OUT
    assert coupon_templates.get_template(template.id).template.issued == 1
    assert coupons.list_user_coupons(late, None, NOW, 10) == ([], None)
    assert coupons.claimed_counts(late, [template.id]) == {}


def test_a_driver_at_the_per_user_limit_is_refused():
    template = make_template(per_user_limit=2)
    user = new_user_id()
    claimed(template, user)
    claimed(template, user)

    assert refusal_of(template, user) == coupon_claims.CLAIM_LIMIT_REACHED
    assert coupon_templates.get_template(template.id).template.issued == 2


@pytest.mark.parametrize("status", [coupon_templates.PAUSED, coupon_templates.ENDED])
def test_a_paused_or_ended_template_refuses_claims(status):
    template = make_template()
    assert coupon_templates.change_status(template.id, (coupon_templates.ACTIVE,), status, NOW)

    assert refusal_of(template, new_user_id()) == coupon_claims.TEMPLATE_NOT_ACTIVE


def test_claims_outside_the_window_say_which_side():
    template = make_template()

    assert refusal_of(template, new_user_id(), NOW - 2 * DAY) == coupon_claims.NOT_STARTED
    assert refusal_of(template, new_user_id(), NOW + 11 * DAY) == coupon_claims.ENDED


def test_the_centre_lists_active_open_templates_with_stock_ending_soonest_first():
    later = make_template(ends_at=NOW + 20 * DAY)
    sooner = make_template(PER_LITRE_OFF, ends_at=NOW + 5 * DAY)
    sold_out = make_template(total_stock=1)
    claimed(sold_out)
    paused = make_template()
    coupon_templates.change_status(paused.id, (coupon_templates.ACTIVE,), coupon_templates.PAUSED, NOW)
    make_template(starts_at=NOW + DAY, ends_at=NOW + 3 * DAY)  # not yet open
    make_template(starts_at=NOW - 3 * DAY, ends_at=NOW - DAY)  # over

    listed = [t.id for t in coupon_templates.list_claimable_templates(NOW)]

    assert listed == [sooner.id, later.id]


def test_an_unknown_coupon_reads_as_none():
    assert coupons.get_coupon("cp_00000000000000000000") is None


def test_a_drivers_coupons_page_newest_first_and_filter_by_status():
    template = make_template(valid_days=1, per_user_limit=5, starts_at=NOW - 5 * DAY)
    user = new_user_id()
    old = claimed(template, user, NOW - 3 * DAY)  # expired by NOW
    used = claimed(template, user, NOW - DAY / 2)
    fresh = claimed(template, user, NOW)
    with TransactWrite(connection=get_connection()) as tx:
        coupons.stage_use(tx, used, "FO1", now=NOW)

    first, following = coupons.list_user_coupons(user, None, NOW, 2)
    rest, end = coupons.list_user_coupons(user, None, NOW, 2, following)

    assert [c.id for c in first + rest] == [fresh.id, used.id, old.id] and end is None
    by_status = {s: [c.id for c in coupons.list_user_coupons(user, s, NOW, 10)[0]]
                 for s in ("usable", "used", "expired")}
    assert by_status == {"usable": [fresh.id], "used": [used.id], "expired": [old.id]}


def spend(coupon, order_id, now=NOW):
    with TransactWrite(connection=get_connection()) as tx:
        coupons.stage_use(tx, coupon, order_id, now=now)


def give_back(coupon_id, order_id):
    with TransactWrite(connection=get_connection()) as tx:
        coupons.stage_release(tx, coupon_id, order_id)


def test_a_coupon_pays_one_order_and_a_second_order_is_cancelled():
    coupon = claimed(make_template())
    spend(coupon, "FO-first")

    with pytest.raises(TransactWriteError) as err:
        spend(coupon, "FO-second")

    assert transaction_condition_failed(err.value)
    assert coupons.get_coupon(coupon.id).used_order_id == "FO-first"


def test_only_the_order_holding_a_coupon_can_give_it_back_and_then_it_is_usable_again():
    coupon = claimed(make_template())
    spend(coupon, "FO-first")

    with pytest.raises(TransactWriteError):
        give_back(coupon.id, "FO-other")
    give_back(coupon.id, "FO-first")
    spend(coupon, "FO-next")

    assert coupons.get_coupon(coupon.id).used_order_id == "FO-next"


@pytest.mark.parametrize("case", ["other user", "expired", "unknown"])
def test_stage_use_refuses_a_coupon_that_is_not_the_users_or_not_valid(case):
    template = make_template()
    coupon = claimed(template)
    if case == "other user":
        coupon = replace(coupon, user_id="u_someone_else")
    now = NOW + 11 * DAY if case == "expired" else NOW
    if case == "unknown":
        coupon = new_coupon(template, coupon.user_id)  # never stored

    with pytest.raises(TransactWriteError):
        spend(coupon, "FO-1", now)

    assert coupons.get_coupon(coupon.id) is None or coupons.get_coupon(coupon.id).used_order_id is None
