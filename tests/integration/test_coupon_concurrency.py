"""Coupons under real concurrency on DynamoDB Local (moto does not serialize concurrent writes):
a hot template never oversells nor lets a driver past the limit, and a coupon pays one order."""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, RuleViolation
from chalicelib.services.marketing import coupons as coupon_service
from chalicelib.store.marketing import coupon_templates, coupons
from chalicelib.store.base import get_connection
from chalicelib.store.marketing.coupons import ClaimCounterModel, CouponModel
from chalicelib.store.orders.orders import OrderModel, to_model
from tests.unit.coupons.factory import claimed, make_order, make_template, new_user_id

pytestmark = pytest.mark.slow


def now() -> datetime:
    return datetime.now(timezone.utc)


def test_300_concurrent_claims_of_a_template_with_stock_100_issue_exactly_100(real_dynamodb):
    template = make_template(now=now(), total_stock=100, per_user_limit=3)
    users = [new_user_id() for _ in range(50)]
    claims = [users[i % 50] for i in range(300)]  # each driver asks 6 times, may get 3
    start = threading.Barrier(50)

    def claim(user_id: str) -> str:
        try:
            coupon_service.claim_coupon(user_id, template.id)
            return "granted"
        except (RuleViolation, Conflict) as refused:
            return refused.code

    def first_wave(user_id: str) -> str:
        start.wait()  # the first 50 claims leave together
        return claim(user_id)

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(first_wave, claims[:50]))
        outcomes.update(pool.map(claim, claims[50:]))

    held = Counter(m.user_id for m in CouponModel.scan(CouponModel.template_id == template.id))
    counters = {m.user_id: int(m.claimed) for m in ClaimCounterModel.query(template.id)}
    assert outcomes["granted"] == 100 and sum(held.values()) == 100
    assert coupon_templates.get_template(template.id).template.issued == 100
    assert max(held.values()) <= 3 and counters == dict(held)
    assert set(outcomes) <= {"granted", "COUPON_OUT_OF_STOCK", "COUPON_LIMIT_REACHED"}


def use_for_order(coupon, order_id: str, start: threading.Barrier) -> bool:
    """One order's transaction: the order item and the coupon, as the order code writes them."""
    start.wait()
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.save(to_model(replace(make_order(coupon.user_id, paid=False), id=order_id)),
                    condition=OrderModel.order_id.does_not_exist())
            coupons.stage_use(tx, coupon, order_id)
        return True
    except TransactWriteError:
        return False


@pytest.mark.parametrize("round_", range(10))
def test_two_orders_racing_for_one_coupon_exactly_one_commits(real_dynamodb, round_):
    coupon = claimed(make_template(now=now()), now=now())
    orders = [f"FO{uuid.uuid4().hex[:24].upper()}" for _ in range(2)]
    start = threading.Barrier(2)

    with ThreadPoolExecutor(max_workers=2) as pool:
        committed = list(pool.map(lambda o: use_for_order(coupon, o, start), orders))

    assert sorted(committed) == [False, True]
    winner, loser = (orders[0], orders[1]) if committed[0] else (orders[1], orders[0])
    assert coupons.get_coupon(coupon.id).used_order_id == winner
    assert OrderModel.count(loser) == 0
