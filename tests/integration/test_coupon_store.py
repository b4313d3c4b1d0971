"""The coupon store on both engines (moto and DynamoDB Local): the claim transaction's refusals
are told apart from the cancellation reasons the real engine sends, and the index reads and the
order-side stages behave the same."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.marketing import coupon_claims, coupon_stats, coupon_templates, coupons
from chalicelib.store.base import get_connection
from tests.unit.coupons.factory import DAY, claimed, make_template, new_user_id, paid_order


def now() -> datetime:
    return datetime.now(timezone.utc)


def reason(template, user_id=None, at=None) -> str:
    with pytest.raises(coupon_claims.ClaimRefused) as refused:
        claimed(template, user_id, at or now())
    return refused.value.reason


def test_each_failed_condition_of_a_claim_has_its_reason(dynamodb):
    at, user = now(), new_user_id()
    sold_out = make_template(now=at, total_stock=1)
    claimed(sold_out, now=at)
    limited = make_template(now=at, per_user_limit=1)
    claimed(limited, user, at)
    paused = make_template(now=at)
    coupon_templates.change_status(paused.id, ("ACTIVE",), "PAUSED", at)
    window = make_template(now=at)

    assert reason(sold_out) == coupon_claims.SOLD_OUT
    assert reason(limited, user) == coupon_claims.CLAIM_LIMIT_REACHED
    assert reason(paused) == coupon_claims.TEMPLATE_NOT_ACTIVE
    assert reason(window, at=at + 11 * DAY) == coupon_claims.ENDED
    assert reason(window, at=at - 2 * DAY) == coupon_claims.NOT_STARTED
    assert coupon_templates.get_template(window.id).template.issued == 0


def test_claimable_list_and_user_pages_read_the_indexes(dynamodb):
    at, user = now(), new_user_id()
    template = make_template(now=at, per_user_limit=3)
    ids = [claimed(template, user, at).id for _ in range(3)]

    listed = [t.id for t in coupon_templates.list_claimable_templates(at)]
    page, following = coupons.list_user_coupons(user, "usable", at, 2)
    rest, _ = coupons.list_user_coupons(user, "usable", at, 2, following)

    assert template.id in listed
    assert sorted(c.id for c in page + rest) == sorted(ids)


def test_use_release_and_the_revenue_figures(dynamodb):
    at = now()
    template = make_template(now=at)
    coupon = claimed(template, now=at)
    order = paid_order(coupon.user_id, pay_fen=25_000, refunded_fen=500, now=at)

    with TransactWrite(connection=get_connection()) as tx:
        coupons.stage_use(tx, coupon, order.id)
    with pytest.raises(TransactWriteError):
        with TransactWrite(connection=get_connection()) as tx:
            coupons.stage_use(tx, coupon, "FO-other")
    figures = coupon_stats.usage(template.id)
    with TransactWrite(connection=get_connection()) as tx:
        coupons.stage_release(tx, coupon.id, order.id)

    assert figures == coupon_stats.UsageFigures(used=1, paid_orders=1, revenue_fen=24_500)
    assert coupons.get_coupon(coupon.id).used_order_id is None
    assert coupon_stats.usage(template.id).used == 0
