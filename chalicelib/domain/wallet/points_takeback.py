"""Points a refund takes back, and the points debt when they are no longer there.

Earning: an order earns on what it finally kept, `basis_fen` = the payment less every refund
reserved by the time it is confirmed (the confirmation's own settlement refund and any manager
refund before it); see domain/orders/refund_changes.py for which refunds come later.

Take back: a refund after the confirmation takes back its share of the points the order earned,
in proportion to the fen it returns of the basis. The share is cumulative and rounded down:
once refunds after the confirmation total R fen of a basis of B, floor(earned * min(R, B) / B)
points are taken back in all, and each refund takes that total less what earlier ones took. So
the takebacks never exceed what was earned, add up to exactly what was earned once the whole
basis is refunded (in any number of refunds), and a rounding never goes against the driver
(earning rounds down too).

Debt: the points come out of the unexpired lots, soonest expiry first (as a redemption would
take them). What the account no longer holds (spent or expired since) is not taken below zero:
it becomes `points_debt`, which the next earnings pay off before any new point is kept. Every
movement is a ledger entry: `points_taken_back` and `points_debt_paid` on the points chain,
`debt_incurred` and `debt_repaid` on the points_debt chain (which sums to the debt).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.wallet.accounts import Account, AccountChange, add_lots
from chalicelib.domain.wallet.entries import change_of, entries_for
from chalicelib.domain.wallet.ledger import POINTS, POINTS_DEBT
from chalicelib.domain.wallet.points import available_points, spend_lots


def taken_back_total(earned: int, basis_fen: int, refunded_fen: int) -> int:
    """Points taken back in all once `refunded_fen` of the `basis_fen` earned on went back."""
    if earned <= 0 or basis_fen <= 0 or refunded_fen <= 0:
        return 0
    return earned * min(refunded_fen, basis_fen) // basis_fen


def taken_back(earned: int, basis_fen: int, refunded_before_fen: int, refund_fen: int) -> int:
    """The points one refund of `refund_fen` takes back, after earlier refunds of the basis
    totalling `refunded_before_fen` (all of them after the confirmation)."""
    return (taken_back_total(earned, basis_fen, refunded_before_fen + refund_fen)
            - taken_back_total(earned, basis_fen, refunded_before_fen))


def for_points_taken_back(account: Account, order_id: str, points: int,
                          at: datetime) -> AccountChange | None:
    """Take `points` back for a refund of order_id: out of the unexpired lots down to zero,
    the rest as debt. Entries (ref order_id): `points_taken_back` (-taken) and `debt_incurred`
    (+debt). None when points is 0."""
    if points <= 0:
        return None
    taken = min(points, available_points(account.lots, at))
    debt = points - taken
    left, _ = spend_lots(account.lots, taken, at)
    after = replace(account, lots=add_lots(left, ()), points_debt=account.points_debt + debt)
    entries = entries_for(account, POINTS, order_id, at, [("points_taken_back", -taken, 0)])
    entries += entries_for(account, POINTS_DEBT, order_id, at, [("debt_incurred", debt, 0)])
    return change_of(account, after, entries, at)


def debt_repaid(account: Account, earned: int) -> int:
    """How many of `earned` new points go to the debt (all of them until it is paid off)."""
    return min(max(earned, 0), account.points_debt)

