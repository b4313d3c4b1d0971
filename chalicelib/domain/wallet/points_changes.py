"""Account change builders of points and member spend: returned on refund, earned when fuelled,
spend taken back on refund, expired (see domain/wallet/changes.py for the contract they share).
Pure: the points rules come in as a PointsRules (services/wallet/rules.py reads them)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.wallet.accounts import Account, AccountChange, add_lots, day_end, month_of
from chalicelib.domain.wallet.ledger import POINTS, POINTS_DEBT, Entry
from chalicelib.domain.wallet.points import PointsRules, earn, expire, return_lots
from chalicelib.domain.times import business_day
from chalicelib.domain.wallet.entries import change_of, entries_for
from chalicelib.domain.wallet.points_takeback import debt_repaid


def for_points_returned(account: Account, order_id: str, redeemed: int, paid_fen: int,
                        refunded_before: int, refund_fen: int, at: datetime) -> AccountChange | None:
    """Return an order's redeemed points in proportion to a refund (domain/points.return_lots):
    of `redeemed` points on an order that paid `paid_fen`, a refund taking its refunded total
    from `refunded_before` to `refunded_before + refund_fen` returns its share, to the lots the
    points were taken from, with their expiry. An order closed unpaid returns everything with
    refunded_before=0, refund_fen=paid_fen.

    Points whose lot has expired since do not come back (they would expire at once). Entry:
    `points_returned` (+points, ref order_id). None when nothing comes back (nothing redeemed,
    no record of the redemption, or only expired parts)."""
    taken = account.redemptions.get(order_id, ())
    if not redeemed or not taken:
        return None
    parts = [p for p in return_lots(list(taken), paid_fen, refunded_before, refund_fen)
             if at < p.expires_at]
    amount = sum(p.points for p in parts)
    if not amount:
        return None
    redemptions = dict(account.redemptions)
    if refunded_before + refund_fen >= paid_fen:
        del redemptions[order_id]  # everything is back: nothing more can be returned
    after = replace(account, lots=add_lots(account.lots, parts), redemptions=redemptions)
    entries = entries_for(account, POINTS, order_id, at, [("points_returned", amount, 0)])
    return change_of(account, after, entries, at)


def for_points_earned(account: Account, order_id: str, paid_fen: int, at: datetime,
                      rules: PointsRules) -> AccountChange | None:
    """An order confirmed FUELLED: earn points on `paid_fen` (what it finally kept in money,
    WeChat Pay or balance: domain/wallet/points_takeback.py) into a lot expiring at the end of
    the Asia/Shanghai day `rules.lifetime_days` after `at`, and add `paid_fen` to the spend of
    at's month (member levels). A points debt is paid off first out of the points earned.

    Entries (ref order_id): `points_earned` (+points) when it earns any, then, with a debt,
    `points_debt_paid` (-repaid) and `debt_repaid` on the debt chain. The points earned are
    `points_earned(paid_fen, rules)` whether they paid a debt or not. None when paid_fen is 0."""
    if paid_fen <= 0:
        return None
    lot = earn(order_id, paid_fen, at, rules)
    spend_map = dict(account.monthly_spend)
    spend_map[month_of(at)] = spend_map.get(month_of(at), 0) + paid_fen
    after = replace(account, monthly_spend=spend_map)
    entries: tuple[Entry, ...] = ()
    if lot is not None:
        repaid = debt_repaid(account, lot.points)
        kept = replace(lot, expires_at=day_end(lot.expires_at),  # lots of one day are one lot
                       points=lot.points - repaid)
        after = replace(after, lots=add_lots(account.lots, [kept]),
                        points_debt=account.points_debt - repaid)
        entries = entries_for(account, POINTS, order_id, at, [
            ("points_earned", lot.points, 0), ("points_debt_paid", -repaid, 0)])
        entries += entries_for(account, POINTS_DEBT, order_id, at, [("debt_repaid", -repaid, 0)])
    return change_of(account, after, entries, at)


def for_spend_refunded(account: Account, refund_fen: int, fuelled_at: datetime,
                       at: datetime) -> AccountChange | None:
    """A refund of a fuelled order: its spend no longer counts towards the member level (taken
    off the month it was fuelled in, never below 0). No ledger entry. None if nothing changes."""
    month = month_of(fuelled_at)
    held = account.monthly_spend.get(month, 0)
    if refund_fen <= 0 or not held:
        return None
    spend_map = {**account.monthly_spend, month: held - min(held, refund_fen)}
    return change_of(account, replace(account, monthly_spend=spend_map), (), at)


def for_points_expiry(account: Account, at: datetime) -> AccountChange | None:
    """Write off the points of every lot whose expiry has come: one `points_expired` entry
    (ref "expiry:<Asia/Shanghai date>"). None when no lot is due."""
    due = expire(account.lots, at)
    if not due:
        return None
    left = tuple(lot for lot in account.lots if at < lot.expires_at)
    ref = f"expiry:{business_day(at)}"
    entries = entries_for(account, POINTS, ref, at, [("points_expired", -due, 0)])
    return change_of(account, replace(account, lots=add_lots(left, ())), entries, at)
