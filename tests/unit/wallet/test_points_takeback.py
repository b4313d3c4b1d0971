"""The pure rules of points after a refund: the share taken back, the debt, its repayment, and which
refunds count (domain/wallet/points_takeback.py, domain/orders/refunds.py)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.wallet.accounts import Account
from chalicelib.domain.wallet.changes import for_wallet_order
from chalicelib.domain.wallet.ledger import KINDS, POINTS, POINTS_DEBT, verify_chain
from chalicelib.domain.wallet.points import DEFAULT_RULES
from chalicelib.domain.wallet.points_changes import for_points_earned, for_points_expiry
from chalicelib.domain.wallet.points_takeback import (
    for_points_taken_back, taken_back, taken_back_total)

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)


class Chains:
    """An account and every entry written for it, as the store would keep them."""

    def __init__(self) -> None:
        self.account, self.entries = Account("u1"), []

    def apply(self, change):
        assert change is not None
        self.entries.extend(change.entries)
        self.account = replace(change.after, version=change.before.version + 1)
        return change

    def verify(self) -> None:
        for kind in KINDS:
            chain = [e for e in self.entries if e.kind == kind]
            check = verify_chain(chain, account_id="u1", kind=kind,
                                 expected_last_seq=self.account.head(kind).seq,
                                 expected_balance=self.account.ledger_balance(kind))
            assert check.ok, check


@given(st.integers(0, 10_000), st.integers(1, 1_000_000), st.data())
def test_takebacks_of_any_split_never_exceed_and_add_up_to_what_was_earned(earned, basis, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, basis), max_size=6)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, basis]) if b > a]
    before, taken = 0, []
    for part in parts:
        taken.append(taken_back(earned, basis, before, part))
        before += part
        assert 0 <= sum(taken) <= earned
        assert sum(taken) == taken_back_total(earned, basis, before) <= earned * before / basis
    assert sum(taken) == earned  # the whole basis refunded: everything earned is taken back


def test_a_share_is_rounded_down_and_refunds_beyond_the_basis_take_nothing_more():
    assert taken_back(300, 30_000, 0, 99) == 0  # 0.99 of a point
    assert taken_back(300, 30_000, 0, 10_000) == 100
    assert taken_back(300, 30_000, 30_000, 500) == 0
    assert taken_back(0, 30_000, 0, 30_000) == 0


def test_points_still_held_are_taken_back_and_the_rest_is_a_debt():
    chains = Chains()
    chains.apply(for_points_earned(chains.account, "FO1", 30_000, NOW, DEFAULT_RULES))  # 300
    chains.apply(for_wallet_order(chains.account, "FO2", 0, 250, NOW))  # 50 left

    change = chains.apply(for_points_taken_back(chains.account, "FO1", 120, NOW))

    assert [(e.kind, e.reason, e.amount) for e in change.entries] == [
        (POINTS, "points_taken_back", -50), (POINTS_DEBT, "debt_incurred", 70)]
    assert (chains.account.points, chains.account.points_debt) == (0, 70)
    chains.verify()


def test_expired_points_are_not_taken_back_so_the_share_becomes_debt():
    chains = Chains()
    chains.apply(for_points_earned(chains.account, "FO1", 10_000, NOW, DEFAULT_RULES))  # 100
    later = NOW + timedelta(days=400)  # the lot has expired but is not written off yet

    chains.apply(for_points_taken_back(chains.account, "FO1", 100, later))

    assert (chains.account.points, chains.account.points_debt) == (100, 100)
    chains.apply(for_points_expiry(chains.account, later))
    assert (chains.account.points, chains.account.points_debt) == (0, 100)
    chains.verify()


def test_earnings_pay_the_debt_first_and_keep_only_the_rest():
    chains = Chains()
    chains.apply(for_points_earned(chains.account, "FO1", 10_000, NOW, DEFAULT_RULES))  # 100
    chains.apply(for_wallet_order(chains.account, "FO2", 0, 100, NOW))
    chains.apply(for_points_taken_back(chains.account, "FO1", 100, NOW))  # all debt
    assert chains.account.points_debt == 100

    small = chains.apply(for_points_earned(chains.account, "FO3", 6_000, NOW, DEFAULT_RULES))
    assert [(e.reason, e.amount) for e in small.entries] == [
        ("points_earned", 60), ("points_debt_paid", -60), ("debt_repaid", -60)]
    assert (chains.account.points, chains.account.points_debt) == (0, 40)

    chains.apply(for_points_earned(chains.account, "FO4", 10_000, NOW, DEFAULT_RULES))
    assert (chains.account.points, chains.account.points_debt) == (60, 0)
    chains.verify()


def _refund(kind, after_confirmation, requested_at=NOW):
    return rf.Refund("R1", "FO1", kind, 100, 1_000, "reason", "s_1", requested_at,
                     after_confirmation=after_confirmation)


def test_only_a_manual_refund_requested_after_the_confirmation_takes_points_back():
    fuelled_at = NOW
    assert _refund(rf.MANUAL, True).takes_back_points(fuelled_at)
    assert not _refund(rf.MANUAL, False).takes_back_points(fuelled_at)
    assert not _refund(rf.SETTLEMENT, False).takes_back_points(fuelled_at)
    assert not _refund(rf.MANUAL, True).takes_back_points(None)  # never confirmed: never earned
    # Records from before the flag decide by their request time.
    assert _refund(rf.MANUAL, None, NOW + timedelta(minutes=1)).takes_back_points(fuelled_at)
    assert not _refund(rf.MANUAL, None, NOW - timedelta(minutes=1)).takes_back_points(fuelled_at)
