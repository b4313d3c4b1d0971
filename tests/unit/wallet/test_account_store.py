"""Accounts and the ledger on moto: one conditional transaction per change, entries as written,
paging newest first, and the nightly points expiry that reads only accounts with lots due."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.wallet.ledger import verify_chain
from chalicelib.jobs import points as points_job
from chalicelib.domain.wallet import changes, points_changes
from chalicelib.domain.wallet.points import DEFAULT_RULES as RULES
from chalicelib.services.wallet import points_expiry
from chalicelib.store.wallet import accounts as store
from chalicelib.store.wallet.accounts import LedgerModel

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)


def _user() -> str:
    return f"u_{uuid.uuid4().hex}"


def _topped_up(user_id: str, amount_fen: int = 100_000):
    return store.commit_change(changes.for_topup(store.get_account(user_id), "TU" + "B" * 26,
                                                  amount_fen, None, NOW))


def test_an_unknown_user_has_an_empty_account(aws):
    account = store.get_account(_user())

    assert (account.balance_fen, account.points, account.version) == (0, 0, 0)


def test_a_committed_change_is_the_stored_account_and_its_entries(aws):
    user = _user()
    change = changes.for_topup(store.get_account(user), "TU" + "B" * 26, 60_000, None, NOW)

    stored = store.commit_change(change)

    assert store.get_account(user) == stored == dataclasses.replace(change.after, version=1)
    assert store.read_chain(user, "balance") == list(change.entries)


def test_two_changes_from_the_same_read_commit_once(aws):
    user = _user()
    account = _topped_up(user)
    first = changes.for_wallet_order(account, "FO1", 60_000, 0, NOW)
    second = changes.for_wallet_order(account, "FO2", 60_000, 0, NOW)

    store.commit_change(first)
    with pytest.raises(store.StaleAccount):
        store.commit_change(second)

    assert store.get_account(user).balance_fen == 40_000
    assert [e.ref for e in store.read_chain(user, "balance")] == ["TU" + "B" * 26, "FO1"]


def test_a_change_whose_entries_do_not_continue_the_chain_is_refused(aws):
    user = _user()
    account = _topped_up(user)
    change = changes.for_wallet_order(account, "FO1", 1_000, 0, NOW)
    skipped = dataclasses.replace(change, entries=())

    with pytest.raises(ValueError):
        store.commit_change(skipped)
    assert store.get_account(user) == account


def test_entries_page_newest_first_with_a_cursor_until_the_first(aws):
    user = _user()
    account = _topped_up(user, 10_000)
    for n in range(4):
        account = store.commit_change(changes.for_wallet_order(account, f"FO{n}", 1_000, 0, NOW))

    first, cursor = store.list_entries(user, "balance", 3)
    second, end = store.list_entries(user, "balance", 3, cursor)

    assert [e.seq for e in first] == [5, 4, 3] and cursor == 3
    assert [e.seq for e in second] == [2, 1] and end is None


def test_points_expiry_reads_only_accounts_with_lots_due(aws):
    user, idle = _user(), _user()
    store.commit_change(points_changes.for_points_earned(store.get_account(user), "FO1", 50_000, NOW, RULES))
    _topped_up(idle)  # money but no points: never on the expiry index
    year_on = NOW + timedelta(days=366)

    assert store.accounts_with_points_due(NOW, 10) == []
    assert store.accounts_with_points_due(year_on, 10) == [user]
    counts = points_expiry.expire_due(year_on)

    assert counts == {"accounts": 1, "expired_points": 500, "failed": 0}
    assert store.get_account(user).points == 0
    assert store.accounts_with_points_due(year_on, 10) == []
    chain = store.read_chain(user, "points")
    assert [e.reason for e in chain] == ["points_earned", "points_expired"]
    assert verify_chain(chain, expected_balance=0).ok


def test_the_points_job_answers_its_counts(aws):
    assert points_job.expire_points() == {"accounts": 0, "expired_points": 0, "failed": 0}


def test_a_stored_entry_is_exactly_what_was_hashed(aws):
    user = _user()
    _topped_up(user)

    item = LedgerModel.get(f"{user}#balance", 1)

    assert item.at == "2026-11-26T05:00:00.000000Z" and len(item.entry_hash) == 64
