"""Races on one wallet, on DynamoDB Local (moto does not serialize concurrent writes to one item):
copies of a top-up notification arriving at once credit once; account changes built from the
same read commit exactly once; concurrent debits never take more than the balance holds."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import requests

from chalicelib.domain.errors import RuleViolation
from chalicelib.domain.wallet import changes
from chalicelib.domain.wallet.accounts import AccountChange
from chalicelib.services.wallet import accounts
from chalicelib.store.wallet import accounts as store
from chalicelib.store.wallet import topups as topup_store
from tests import paystack
from tests.races import all_at_once

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)


@pytest.fixture
def pay(real_dynamodb, base_environment, monkeypatch, pay_servers):
    yield paystack.point_tests_at(pay_servers, base_environment, monkeypatch)
    pay_servers.silence()


def _funded(user_id: str, amount_fen: int):
    return store.commit_change(changes.for_topup(store.get_account(user_id), "TU" + "D" * 26,
                                                  amount_fen, None, NOW))


def test_ten_copies_of_one_topup_notification_credit_once(pay):
    driver = paystack.seed_driver()
    created = requests.post(f"{pay.api_url}/v1/wallet/topups", json={"amount_fen": 100_000},
                            headers={**paystack.driver_auth(driver),
                                     "Idempotency-Key": uuid.uuid4().hex}, timeout=30).json()
    topup_id = created["topup"]["id"]
    with pay.sandbox.lock:
        pay.sandbox.suppressed.add(topup_id)
    assert pay.pay(created["payment"]["package"].split("=", 1)[1]).status_code == 200
    headers, body = pay.notification("TRANSACTION.SUCCESS", pay.sandbox.query_order(topup_id))

    answers = all_at_once([
        lambda: requests.post(f"{pay.api_url}/v1/webhooks/wechatpay", headers=headers, data=body,
                              timeout=60) for _ in range(10)])

    assert [a.status_code for a in answers] == [204] * 10
    account = store.get_account(driver.id)
    assert (account.paid_fen, account.bonus_fen, account.version) == (100_000, 4_000, 1)
    assert [e.reason for e in store.read_chain(driver.id, "balance")] == ["topup", "bonus"]
    assert topup_store.get_topup(topup_id).status == "PAID"


def test_two_changes_from_the_same_read_commit_exactly_once(real_dynamodb):
    user = f"u_{uuid.uuid4().hex}"
    before = _funded(user, 10_000)
    made = [changes.for_wallet_order(before, f"FO{n}", 6_000, 0, NOW) for n in range(2)]

    results = all_at_once([lambda c=c: store.commit_change(c) for c in made], keep_errors=True)

    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, store.StaleAccount) for r in results) == 1
    assert store.get_account(user).balance_fen == 4_000
    assert len(store.read_chain(user, "balance")) == 2


def test_twenty_concurrent_debits_against_a_balance_for_three_take_three(real_dynamodb):
    user = f"u_{uuid.uuid4().hex}"
    _funded(user, 30_000)

    def debit(n):
        try:
            return accounts.change_account(
                user, lambda account: changes.for_wallet_order(account, f"FO{n}", 10_000, 0, NOW))
        except RuleViolation as refused:
            return refused.code

    results = all_at_once([lambda n=n: debit(n) for n in range(20)], keep_errors=True)

    assert sum(isinstance(r, AccountChange) for r in results) == 3
    assert set(r for r in results if isinstance(r, str)) == {"INSUFFICIENT_BALANCE"}
    assert store.get_account(user).balance_fen == 0
    assert [e.reason for e in store.read_chain(user, "balance")] == ["topup"] + ["order"] * 3
