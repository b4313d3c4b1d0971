"""Builders of account changes: each takes an Account as read and answers the AccountChange that
records one movement (rules of balance.py, points.py, ledger.py), or None when nothing moves.
They read no table and no setting (rules come in as arguments); the caller writes the change with
`store/wallet/accounts.stage_change` inside its own transaction (or `commit_change`), and on
StaleAccount reads again and rebuilds (`services/wallet/accounts.change_account`).

Every change has after.version == before.version + 1 and its entries continue the account's
chains. Changes of one account in one transaction must be one change: build the second from
`first.after` and join them with `combine` (DynamoDB refuses two writes of one item in one
transaction). `at` is a timezone-aware time; entries carry it as their `at`.

The money builders live here, the points ones in domain/wallet/points_changes.py.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.wallet.accounts import Account, AccountChange, add_lots
from chalicelib.domain.wallet.balance import (
    CAP_FEN, BonusRule, Split, check_amount, credit_refund, refund_split, spend, top_up)
from chalicelib.domain.wallet.entries import change_of, entries_for
from chalicelib.domain.wallet.ledger import BALANCE, POINTS
from chalicelib.domain.wallet.points import check_points, spend_lots


def for_topup(account: Account, topup_id: str, amount_fen: int, rule: BonusRule | None,
              at: datetime, *, cap_fen: int = CAP_FEN) -> AccountChange:
    """Credit a paid top-up: a `topup` entry (+amount, paid money) and, when the rule earns one,
    a `bonus` entry (+bonus, bonus money, at most the room left under the cap). Both ref the
    top-up. Raises RuleViolation TOPUP_OVER_CAP (nothing credited) when the amount does not fit."""
    t = top_up(account.balance, amount_fen, rule=rule, cap_fen=cap_fen)
    entries = entries_for(account, BALANCE, topup_id, at,
                       [("topup", t.paid_fen, 0), ("bonus", t.bonus_fen, t.bonus_fen)])
    after = replace(account, paid_fen=t.after.paid_fen, bonus_fen=t.after.bonus_fen)
    return change_of(account, after, entries, at, bonus_forgone_fen=t.bonus_forgone_fen)


def for_wallet_order(account: Account, order_id: str, pay_fen: int, points: int,
                     at: datetime) -> AccountChange | None:
    """Debit an order: `pay_fen` from the balance (paid money first; 0 for an order paid through
    WeChat Pay) and `points` redeemed from the soonest-expiring unexpired lots (0 for none).

    Entries: `order` (-pay_fen, with the bonus part recorded in paid_after/bonus_after) and
    `points_redeemed` (-points), both ref order_id. The change carries `spent` (Split of paid and
    bonus money taken: keep it on the order for refunds) and remembers the lot parts taken under
    account.redemptions[order_id] for `for_points_returned`. Raises RuleViolation
    INSUFFICIENT_BALANCE / POINTS_INSUFFICIENT (nothing changes), InvalidInput for a negative or
    non-integer figure. None when both are 0."""
    if pay_fen != 0:
        check_amount(pay_fen, "pay_fen")
    check_points(points)
    if not pay_fen and not points:
        return None
    after, spent, steps = account, None, []
    if pay_fen:
        taken = spend(account.balance, pay_fen)
        after = replace(after, paid_fen=taken.after.paid_fen, bonus_fen=taken.after.bonus_fen)
        spent = taken.split
        steps = [("order", -pay_fen, -taken.bonus_fen)]
    entries = entries_for(account, BALANCE, order_id, at, steps)
    if points:
        left, parts = spend_lots(account.lots, points, at)
        held = account.redemptions.get(order_id, ())
        after = replace(after, lots=add_lots(left, ()),
                        redemptions={**account.redemptions, order_id: (*held, *parts)})
        entries += entries_for(account, POINTS, order_id, at, [("points_redeemed", -points, 0)])
    return change_of(account, after, entries, at, spent=spent)


def for_refund(account: Account, order_id: str, spent_split: Split, refunded_before_fen: int,
               refund_fen: int, at: datetime) -> AccountChange | None:
    """Give back `refund_fen` of a wallet order to the wallet, bonus money first (the reverse of
    spending), each part to its own bucket.

    spent_split: what the order took from the wallet (AccountChange.spent of for_wallet_order);
    refunded_before_fen: the order's money refunded by earlier refunds (all of them, before
    this one). Entry: `refund` (+credited, ref order_id). Money that no longer fits under the
    cap is not stored: `payout_fen` (paid money: the caller pays it out) and
    `bonus_forfeited_fen`. Raises RuleViolation REFUND_EXCEEDS_SPENT beyond what the order took.
    None only when nothing is credited, paid out or forfeited."""
    returned = refund_split(spent_split, refunded_before_fen, refund_fen)
    credit = credit_refund(account.balance, returned)
    if not (credit.credited.total_fen or credit.payout_fen or credit.bonus_forfeited_fen):
        return None
    entries = entries_for(account, BALANCE, order_id, at, [
        ("refund", credit.credited.total_fen, credit.credited.bonus_fen)])
    after = replace(account, paid_fen=credit.after.paid_fen, bonus_fen=credit.after.bonus_fen)
    return change_of(account, after, entries, at, payout_fen=credit.payout_fen,
                   bonus_forfeited_fen=credit.bonus_forfeited_fen)


def combine(*changes: AccountChange | None) -> AccountChange | None:
    """Several changes of one account as one (each built from the previous one's `after`)."""
    made = [c for c in changes if c is not None]
    if not made:
        return None
    for first, second in zip(made, made[1:]):
        if replace(second.before, version=0) != replace(first.after, version=0):
            raise ValueError("each change must be built from the previous change's after")
    return AccountChange(
        made[0].before, replace(made[-1].after, version=made[0].before.version + 1),
        tuple(e for c in made for e in c.entries),
        spent=next((c.spent for c in made if c.spent is not None), None),
        payout_fen=sum(c.payout_fen for c in made),
        bonus_forfeited_fen=sum(c.bonus_forfeited_fen for c in made),
        bonus_forgone_fen=sum(c.bonus_forgone_fen for c in made))
