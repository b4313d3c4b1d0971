"""A refund that takes points back and a points spend racing on one account, on DynamoDB Local: the
two are never both built on the same read of the account, and whichever wins, points, debt and the
ledger add up."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import requests

from chalicelib.domain.wallet import changes
from chalicelib.domain.wallet.ledger import KINDS, POINTS, POINTS_DEBT, verify_chain
from chalicelib.domain.wallet.points import DEFAULT_RULES
from chalicelib.domain.wallet.points_changes import for_points_earned
from chalicelib.domain.wallet.points_takeback import for_points_taken_back
from chalicelib.services.wallet import accounts
from chalicelib.store.wallet import accounts as store
from tests import paystack
from tests.paystack import driver_auth, staff_auth, staff_principal
from tests.races import all_at_once

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)


@pytest.fixture
def dynamodb(real_dynamodb):
    """Races need DynamoDB's atomic conditional writes: DynamoDB Local only."""
    return real_dynamodb


def _ledger_adds_up(user_id: str):
    account = store.get_account(user_id)
    for kind in KINDS:
        check = verify_chain(store.read_chain(user_id, kind), account_id=user_id, kind=kind,
                             expected_last_seq=account.head(kind).seq,
                             expected_head_hash=account.head(kind).hash if account.head(kind).seq
                             else None,
                             expected_balance=account.ledger_balance(kind))
        assert check.ok, check
    return account


def _amounts(user_id: str, kind: str, reason: str) -> list[int]:
    return [e.amount for e in store.read_chain(user_id, kind) if e.reason == reason]


def test_a_takeback_and_a_spend_built_on_one_read_never_both_commit(dynamodb):
    user = f"u_{uuid.uuid4().hex}"
    before = store.commit_change(for_points_earned(store.get_account(user), "FO1", 30_000, NOW,
                                                   DEFAULT_RULES))  # 300 points
    takeback = for_points_taken_back(before, "FO1", 100, NOW)
    spend = changes.for_wallet_order(before, "FO2", 0, 250, NOW)

    results = all_at_once([lambda: store.commit_change(takeback),
                           lambda: store.commit_change(spend)], keep_errors=True)

    assert sum(isinstance(r, store.StaleAccount) for r in results) == 1, results
    won = takeback if not isinstance(results[0], Exception) else spend
    account = _ledger_adds_up(user)
    assert account.version == 2  # the earning, then exactly one of the two
    assert (account.points, account.points_debt) == (won.after.points, won.after.points_debt)


def test_a_refund_and_a_points_spend_sent_at_once_add_up_whichever_wins(pay, roomy_caps):
    station = paystack.seed_station()
    manager = staff_principal("manager", station.id)
    for _ in range(3):  # a few rounds: either order of the two must add up
        driver = paystack.seed_driver()
        accounts.change_account(driver.id, lambda a: changes.for_topup(
            a, f"T{uuid.uuid4().hex[:20]}", 100_000, None, datetime.now(timezone.utc)))
        first = _post(pay, "/v1/orders", driver_auth(driver), {
            "station_id": station.id, "nozzle_no": 1, "amount_fen": 30_000,
            "pay_method": "wallet"}).json()["order"]
        confirmed = _post(pay, f"/v1/staff/orders/{first['id']}/confirm", staff_auth(manager), {})
        assert confirmed.status_code == 200, confirmed.text
        earned = confirmed.json()["points_earned"]
        spend = earned - 50

        refund, order = all_at_once([
            lambda: _post(pay, f"/v1/staff/orders/{first['id']}/refund", staff_auth(manager),
                          {"amount_fen": first["pay_amount_fen"], "reason": "加错油站"}),
            lambda: _post(pay, "/v1/orders", driver_auth(driver), {
                "station_id": station.id, "nozzle_no": 1, "amount_fen": 30_000,
                "pay_method": "wallet", "points": spend})])

        assert refund.status_code == 202, refund.text
        assert order.status_code in (201, 422), order.text
        account = _ledger_adds_up(driver.id)
        taken = -sum(_amounts(driver.id, POINTS, "points_taken_back"))
        debt = sum(_amounts(driver.id, POINTS_DEBT, "debt_incurred"))
        assert taken + debt == earned  # the whole order refunded: everything earned came back
        if order.status_code == 201:  # the spend went first: only 50 points were left to take
            assert order.json()["order"]["points_redeemed"] == spend
            assert (taken, debt, account.points, account.points_debt) == (50, spend, 0, spend)
        else:  # the refund went first: nothing was left to spend
            assert order.json()["code"] == "POINTS_INSUFFICIENT"
            assert (taken, debt, account.points, account.points_debt) == (earned, 0, 0, 0)


def _post(pay, path: str, headers: dict, body: dict):
    return requests.post(f"{pay.api_url}{path}", json=body, timeout=120,
                         headers={**headers, "Idempotency-Key": uuid.uuid4().hex})

