"""The account change builders: what each movement does to the account and which ledger entries
record it (pure: no table is read or written)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.wallet.accounts import Account
from chalicelib.domain.errors import RuleViolation
from chalicelib.domain.wallet.ledger import verify_chain
from chalicelib.domain.wallet.balance import BonusRule, Split
from chalicelib.domain.wallet import changes, points_changes
from chalicelib.domain.wallet.points import DEFAULT_RULES as RULES
from chalicelib.services.wallet.membership import member_level, spend_12m

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)  # 13:00 in Shanghai
RULE = BonusRule(50_000, 2_000)
TOPUP = "TU" + "A" * 26


def _apply(account: Account, change) -> Account:
    assert change.after.version == change.before.version + 1
    return change.after


def _topped_up(amount_fen: int, rule=RULE) -> Account:
    return _apply(Account("u1"), changes.for_topup(Account("u1"), TOPUP, amount_fen, rule, NOW))


def _with_points(account: Account, paid_fen: int, order_id: str, at: datetime = NOW) -> Account:
    return _apply(account, points_changes.for_points_earned(account, order_id, paid_fen, at, RULES))


def test_topup_credits_paid_money_and_the_bonus_with_two_entries():
    change = changes.for_topup(Account("u1"), TOPUP, 100_000, RULE, NOW)

    assert (change.after.paid_fen, change.after.bonus_fen) == (100_000, 4_000)
    assert [(e.reason, e.amount, e.paid_after, e.bonus_after, e.ref) for e in change.entries] == [
        ("topup", 100_000, 100_000, 0, TOPUP), ("bonus", 4_000, 100_000, 4_000, TOPUP)]
    assert verify_chain(change.entries, expected_balance=104_000).ok
    assert change.after.balance_head.seq == 2


def test_topup_below_the_rule_threshold_earns_no_bonus_entry():
    change = changes.for_topup(Account("u1"), TOPUP, 49_999, RULE, NOW)

    assert [e.reason for e in change.entries] == ["topup"]


def test_topup_over_the_cap_is_refused_and_bonus_never_lifts_the_balance_over_it():
    with pytest.raises(RuleViolation) as refused:
        changes.for_topup(_topped_up(400_000), TOPUP, 100_001, RULE, NOW)
    assert refused.value.code == "TOPUP_OVER_CAP"

    full = changes.for_topup(_topped_up(400_000, None), TOPUP, 100_000, RULE, NOW)
    assert full.after.balance_fen == 500_000 and full.bonus_forgone_fen == 4_000


def test_wallet_order_spends_paid_money_first_and_records_the_split():
    account = _topped_up(100_000)  # 100,000 paid + 4,000 bonus

    change = changes.for_wallet_order(account, "FO1", 102_000, 0, NOW)

    assert change.spent == Split(100_000, 2_000)
    (entry,) = change.entries
    assert (entry.reason, entry.amount, entry.paid_after, entry.bonus_after) == ("order", -102_000, 0, 2_000)


def test_wallet_order_beyond_the_balance_or_the_points_is_refused():
    account = _with_points(_topped_up(10_000), 50_000, "FO0")  # 500 points

    with pytest.raises(RuleViolation) as money:
        changes.for_wallet_order(account, "FO1", 10_001, 0, NOW)
    with pytest.raises(RuleViolation) as points:
        changes.for_wallet_order(account, "FO1", 100, 501, NOW)

    assert (money.value.code, points.value.code) == ("INSUFFICIENT_BALANCE", "POINTS_INSUFFICIENT")


def test_nothing_to_move_builds_no_change():
    account = Account("u1")
    assert changes.for_wallet_order(account, "FO1", 0, 0, NOW) is None
    assert points_changes.for_points_earned(account, "FO1", 0, NOW, RULES) is None
    assert points_changes.for_points_expiry(account, NOW) is None
    assert points_changes.for_points_returned(account, "FO1", 100, 1000, 0, 1000, NOW) is None


def test_refund_gives_bonus_back_first_and_partial_refunds_never_exceed_the_split():
    account = _topped_up(100_000)
    order = changes.for_wallet_order(account, "FO1", 102_000, 0, NOW)
    account = order.after

    first = changes.for_refund(account, "FO1", order.spent, 0, 3_000, NOW)
    second = changes.for_refund(first.after, "FO1", order.spent, 3_000, 99_000, NOW)

    assert (first.after.paid_fen, first.after.bonus_fen) == (1_000, 4_000)
    assert (second.after.paid_fen, second.after.bonus_fen) == (100_000, 4_000)
    with pytest.raises(RuleViolation) as over:
        changes.for_refund(second.after, "FO1", order.spent, 102_000, 1, NOW)
    assert over.value.code == "REFUND_EXCEEDS_SPENT"


def test_refund_that_no_longer_fits_under_the_cap_reports_the_payout():
    account = _topped_up(300_000, None)
    order = changes.for_wallet_order(account, "FO1", 300_000, 0, NOW)
    refilled = changes.for_topup(order.after, TOPUP, 400_000, None, NOW).after

    change = changes.for_refund(refilled, "FO1", order.spent, 0, 300_000, NOW)

    assert change.after.balance_fen == 500_000 and change.payout_fen == 200_000
    assert change.entries[0].amount == 100_000


def test_points_earned_go_to_a_lot_expiring_at_the_end_of_the_shanghai_day_a_year_on():
    change = points_changes.for_points_earned(Account("u1"), "FO1", 19_999, NOW, RULES)

    (lot,) = change.after.lots
    assert (lot.points, lot.ref) == (199, "FO1")
    assert lot.expires_at == datetime(2027, 11, 26, 16, 0, tzinfo=timezone.utc)  # 00:00 the 27th there
    assert change.after.points - change.before.points == 199
    assert change.after.monthly_spend == {"2026-11": 19_999}


def test_lots_expiring_the_same_day_are_one_lot():
    account = _with_points(_with_points(Account("u1"), 10_000, "FO1"), 20_000, "FO2",
                           NOW + timedelta(hours=2))

    assert [(lot.points, lot.ref) for lot in account.lots] == [(300, "FO1")]


def test_redeemed_points_come_back_to_their_lots_in_proportion_to_the_refund():
    account = _with_points(Account("u1"), 50_000, "FO0")  # 500 points
    later = _with_points(account, 50_000, "FO9", NOW + timedelta(days=3))  # 500 more, later lot
    order = changes.for_wallet_order(later, "FO1", 0, 600, NOW + timedelta(days=4))
    assert [lot.points for lot in order.after.lots] == [400]

    half = points_changes.for_points_returned(order.after, "FO1", 600, 10_000, 0, 5_000, NOW + timedelta(days=5))
    rest = points_changes.for_points_returned(half.after, "FO1", 600, 10_000, 5_000, 5_000, NOW + timedelta(days=5))

    assert half.entries[0].amount == 300 and rest.entries[0].amount == 300
    assert [lot.points for lot in rest.after.lots] == [500, 500]
    assert "FO1" not in rest.after.redemptions


def test_points_of_an_expired_lot_do_not_come_back():
    account = _with_points(Account("u1"), 50_000, "FO0")
    order = changes.for_wallet_order(account, "FO1", 0, 200, NOW)
    after_expiry = NOW + timedelta(days=400)

    assert points_changes.for_points_returned(order.after, "FO1", 200, 1_000, 0, 1_000, after_expiry) is None


def test_expiry_writes_off_only_the_lots_due():
    account = _with_points(Account("u1"), 50_000, "FO0")
    account = _with_points(account, 30_000, "FO1", NOW + timedelta(days=10))

    change = points_changes.for_points_expiry(account, NOW + timedelta(days=366))

    assert [(e.reason, e.amount, e.ref) for e in change.entries] == [
        ("points_expired", -500, "expiry:2027-11-27")]
    assert change.after.points == 300
    assert points_changes.for_points_expiry(change.after, NOW + timedelta(days=366)) is None


def test_combined_changes_are_one_change_with_every_entry():
    account = _with_points(_topped_up(100_000), 50_000, "FO0")
    order = changes.for_wallet_order(account, "FO1", 10_000, 100, NOW)
    money = changes.for_refund(order.after, "FO1", order.spent, 0, 10_000, NOW)
    points = points_changes.for_points_returned(money.after, "FO1", 100, 10_000, 0, 10_000, NOW)

    both = changes.combine(money, points)

    assert both.before == order.after and both.after.version == order.after.version + 1
    assert [e.reason for e in both.entries] == ["refund", "points_returned"]
    with pytest.raises(ValueError):
        changes.combine(points, money)


def test_level_follows_the_spend_of_the_last_twelve_months():
    account = Account("u1", monthly_spend={"2025-10": 500_000, "2026-02": 150_000})

    assert spend_12m(account, NOW) == 150_000 and member_level(account, NOW) == "silver"
    assert member_level(account, datetime(2026, 10, 31, tzinfo=timezone.utc)) == "gold"
