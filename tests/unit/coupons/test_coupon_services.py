"""Claim use case on moto: the cached definition never lets a claim through that the store would
refuse, conflicts are retried, and any sequence of claims matches the rules exactly."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pynamodb.connection.base import VerboseClientError
from pynamodb.exceptions import CancellationReason, TransactWriteError

from chalicelib.domain.errors import Conflict, RuleViolation
from chalicelib.services.marketing import coupons
from chalicelib.store import retries
from chalicelib.store.marketing import coupon_claims, coupon_templates
from chalicelib.store.marketing import coupons as store
from tests.unit.coupons.factory import claimed, make_template, new_user_id


@pytest.fixture(autouse=True)
def tables(aws):
    return aws


def now() -> datetime:
    return datetime.now(timezone.utc)


def refused_code(user_id, template_id) -> str:
    with pytest.raises((RuleViolation, Conflict)) as err:
        coupons.claim_coupon(user_id, template_id)
    return err.value.code


def test_a_template_paused_after_it_was_cached_is_still_refused():
    template = make_template(now=now())
    coupons.claim_coupon(new_user_id(), template.id)  # caches the definition
    coupon_templates.change_status(template.id, ("ACTIVE",), "PAUSED", now())

    assert refused_code(new_user_id(), template.id) == "TEMPLATE_NOT_ACTIVE"


def test_a_template_sold_out_after_it_was_cached_is_refused_by_the_transaction():
    template = make_template(now=now(), total_stock=2)
    coupons.claim_coupon(new_user_id(), template.id)  # cached with issued=0
    claimed(template, now=now())

    assert refused_code(new_user_id(), template.id) == "COUPON_OUT_OF_STOCK"


def test_once_a_claim_finds_the_stock_gone_later_claims_are_refused_without_a_write(monkeypatch):
    template = make_template(now=now(), total_stock=2)
    coupons.claim_coupon(new_user_id(), template.id)
    claimed(template, now=now())
    assert refused_code(new_user_id(), template.id) == "COUPON_OUT_OF_STOCK"
    monkeypatch.setattr(coupon_claims, "claim", lambda *a: pytest.fail("the store was asked again"))

    assert refused_code(new_user_id(), template.id) == "COUPON_OUT_OF_STOCK"


def conflict() -> TransactWriteError:
    error = {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}}
    cause = VerboseClientError(error, "TransactWriteItems", cancellation_reasons=[
        None, CancellationReason(code="TransactionConflict")])
    return TransactWriteError("Failed to write transaction items", cause)


def test_a_conflicted_claim_is_retried_and_then_succeeds(monkeypatch):
    template = make_template(now=now())
    real, calls = coupon_claims._attempt, []

    def flaky(*args, **kwargs):
        calls.append(kwargs["token"])
        if len(calls) < 3:
            raise conflict()
        return real(*args, **kwargs)
    monkeypatch.setattr(coupon_claims, "_attempt", flaky)
    monkeypatch.setattr(retries, "backoff", lambda retry: 0)

    view = coupons.claim_coupon(new_user_id(), template.id)

    assert view.status == "usable" and len(calls) == 3 and len(set(calls)) == 3
    assert coupon_templates.get_template(template.id).template.issued == 1


def test_a_claim_that_keeps_conflicting_is_409_busy_and_writes_nothing(monkeypatch):
    template = make_template(now=now())
    monkeypatch.setattr(coupon_claims, "_attempt", lambda *a, **k: (_ for _ in ()).throw(conflict()))
    monkeypatch.setattr(retries, "backoff", lambda retry: 0)

    assert refused_code(new_user_id(), template.id) == "COUPON_BUSY"
    assert coupon_templates.get_template(template.id).template.issued == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stock=st.integers(1, 4), limit=st.integers(1, 3),
       picks=st.lists(st.integers(0, 2), max_size=10))
def test_any_sequence_of_claims_grants_exactly_what_stock_and_limits_allow(stock, limit, picks):
    template = make_template(now=now(), total_stock=stock, per_user_limit=limit)
    users = [new_user_id() for _ in range(3)]
    expected_issued, per_user = 0, [0, 0, 0]

    for pick in picks:
        allowed = expected_issued < stock and per_user[pick] < limit
        try:
            coupons.claim_coupon(users[pick], template.id)
            granted = True
        except RuleViolation as refused:
            granted = False
            assert refused.code in ("COUPON_OUT_OF_STOCK", "COUPON_LIMIT_REACHED")
        assert granted == allowed
        expected_issued += granted
        per_user[pick] += granted

    assert coupon_templates.get_template(template.id).template.issued == expected_issued
    assert [len(store.list_user_coupons(u, None, now(), 50)[0]) for u in users] == per_user
