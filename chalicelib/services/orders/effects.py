"""What an order's change does to the driver's wallet, points and coupon, in the same transaction.

Every order change is written through here, so no use case can forget a side of it:
- created: the coupon is marked used by the order; redeemed points and, for a wallet order, the
  balance are debited (ledger entries written with the account change);
- closed unpaid: the coupon and the points go back;
- confirmed FUELLED: points are earned on what the fuel finally cost, and that spend counts
  towards the member level; the station learns the service time (a pending sample);
- a refund succeeded: a wallet order's money goes back to the wallet (bonus to bonus), the
  redeemed points go back in proportion, a refund after the fuelling no longer counts as spend,
  and a fully refunded order gives its coupon back.
The order, its events, the account with its ledger entries and the coupon are one TransactWrite:
if any condition fails (someone spent the same balance or coupon first) nothing is written and
the caller decides again on fresh reads (services/orders/changes.py).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders.events import Transition
from chalicelib.domain.orders.orders import CLOSED, PENDING_PAYMENT, REFUNDED, WALLET, Order
from chalicelib.domain.wallet.balance import Split
from chalicelib.store.orders import orders as order_store


def for_creation(order: Order, account, coupon) -> tuple[Order, Callable | None]:
    """The new order (with the wallet money it takes) and what to write with it; `account` and
    `coupon` as read when it was priced. Raises INSUFFICIENT_BALANCE / POINTS_INSUFFICIENT."""
    from chalicelib.services.wallet import accounts
    stages: list[Callable] = []
    pay_fen = order.pay_amount_fen if order.pay_method == WALLET else 0
    change = accounts.for_wallet_order(account, order.id, pay_fen, order.points_redeemed,
                                       order.created_at)
    if change is not None:
        if change.spent is not None:
            order = replace(order, wallet_paid_fen=change.spent.paid_fen,
                            wallet_bonus_fen=change.spent.bonus_fen)
        stages.append(_account_stage(change))
    if coupon is not None:
        from chalicelib.store.marketing import coupons as coupon_store
        stages.append(lambda tx: coupon_store.stage_use(tx, coupon, order.id,
                                                        now=order.created_at))
    return order, _all(stages)


def commit(transition: Transition) -> Transition:
    """Write a change of an existing order with its effects; raises StaleWrite on a lost race.
    Answers the transition as written (a confirmation records the points it earned)."""
    transition, also = _effects(transition)
    order_store.commit(transition, also)
    return transition


def _effects(transition: Transition) -> tuple[Transition, Callable | None]:
    before, after = transition.before, transition.after
    at = transition.events[-1].at
    if before.status == PENDING_PAYMENT and after.status == CLOSED:
        return transition, _give_back_all(after, at)
    if before.fuelled_at is None and after.fuelled_at is not None:
        transition, earned = _earn_points(transition, at)
        return transition, _all([s for s in (earned, _service_time(after)) if s is not None])
    refund = transition.refund_changed[1] if transition.refund_changed else None
    if refund is not None and refund.status == rf.SUCCESS and before.status != CLOSED:
        return transition, _refund_effects(before, after, refund, at)
    return transition, None  # a late payment's refund included: the close gave everything back


def _give_back_all(order: Order, at) -> Callable | None:
    stages: list[Callable] = []
    if order.points_redeemed:
        from chalicelib.services.wallet import accounts
        from chalicelib.store.wallet import accounts as account_store
        change = accounts.for_points_returned(
            account_store.get_account(order.user_id), order.id, order.points_redeemed,
            order.pay_amount_fen, 0, order.pay_amount_fen, at)
        if change is not None:
            stages.append(_account_stage(change))
    if order.coupon_id:
        stages.append(_coupon_release(order))
    return _all(stages)


def _earn_points(transition: Transition, at) -> tuple[Transition, Callable | None]:
    from chalicelib.services.wallet import accounts
    from chalicelib.store.wallet import accounts as account_store
    order = transition.after
    charge = order.actual_amount_fen if order.actual_amount_fen is not None else order.pay_amount_fen
    change = accounts.for_points_earned(account_store.get_account(order.user_id), order.id,
                                        charge, at)
    if change is None:
        return transition, None
    earned = change.after.points - change.before.points
    return replace(transition, after=replace(order, points_earned=earned)), _account_stage(change)


def _service_time(order: Order) -> Callable | None:
    """The station's queue estimate learns the paid->fuelled time (no read, no extra call)."""
    from chalicelib.services.stations import activity
    return activity.fuelled_stage(order.station_id, order.paid_at, order.fuelled_at)


def _refund_effects(before: Order, after: Order, refund: rf.Refund, at) -> Callable | None:
    wallet = after.pay_method == WALLET
    counted_spend = before.fuelled_at is not None and refund.kind != rf.SETTLEMENT
    stages = [_coupon_release(after)] if after.status == REFUNDED and after.coupon_id else []
    if not (wallet or after.points_redeemed or counted_spend):
        return _all(stages)  # nothing on the account moves: no need to read it
    from chalicelib.services.wallet import accounts
    from chalicelib.store.wallet import accounts as account_store
    account = account_store.get_account(after.user_id)
    changes = []
    if wallet:
        changes.append(accounts.for_refund(
            account, after.id, Split(after.wallet_paid_fen, after.wallet_bonus_fen),
            before.refunded_fen, refund.amount_fen, at))
    if after.points_redeemed:
        changes.append(accounts.for_points_returned(
            _latest(account, changes), after.id, after.points_redeemed, after.pay_amount_fen,
            before.refunded_fen, refund.amount_fen, at))
    if counted_spend:  # a settlement refund never was spend: confirming counted the final charge
        changes.append(accounts.for_spend_refunded(_latest(account, changes), refund.amount_fen,
                                                   before.fuelled_at, at))
    change = accounts.combine(*changes)
    if change is not None and change.payout_fen:
        raise Conflict("the wallet has no room under its cap for this refund now; it is retried",
                       code="WALLET_FULL")
    if change is not None:
        stages.append(_account_stage(change))
    return _all(stages)


def _latest(account, changes: list):
    made = [c for c in changes if c is not None]
    return made[-1].after if made else account


def _account_stage(change) -> Callable:
    from chalicelib.store.wallet import accounts as account_store
    return lambda tx: account_store.stage_change(tx, change)


def _coupon_release(order: Order) -> Callable:
    from chalicelib.store.marketing import coupons as coupon_store
    return lambda tx: coupon_store.stage_release(tx, order.coupon_id, order.id)


def _all(stages: list[Callable]) -> Callable | None:
    if not stages:
        return None

    def stage(tx) -> None:
        for add in stages:
            add(tx)
    return stage
