"""What an order's change does to the driver's wallet, points and coupon, in the same transaction.

Every order change is written through here, so no use case can forget a side of it:
- created: the coupon is marked used by the order; redeemed points and, for a wallet order, the
  balance are debited (ledger entries written with the account change);
- closed unpaid: the coupon and the points go back;
- confirmed FUELLED: points are earned on what the order finally keeps (the payment less every
  refund reserved by then), and that spend counts towards the member level; the station learns
  the service time (a pending sample);
- a refund succeeded: a wallet order's money goes back to the wallet (bonus to bonus), the
  redeemed points go back in proportion, a refund requested after the confirmation takes back
  its share of the points earned (a debt for what is no longer held) and no longer counts as
  spend, and a fully refunded order gives its coupon back.
The order, its events, the account with its ledger entries, the coupon and the outbox messages
of what the driver is told (services/orders/notices.py) are one TransactWrite: if any condition
fails (someone spent the same balance or coupon first) nothing is written and the caller
decides again on fresh reads (services/orders/changes.py). Once it is written, the messages are
sent at once; should SQS fail, the outbox sweeper sends them later (services/outbox).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from chalicelib.domain import times
from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders.events import Transition
from chalicelib.domain.orders.orders import CLOSED, PENDING_PAYMENT, REFUNDED, WALLET, Order
from chalicelib.domain.wallet.balance import Split
from chalicelib.services.notifications.events import outbox_messages
from chalicelib.services.orders import facts
from chalicelib.services.orders.notices import notices
from chalicelib.services.outbox import delivery as outbox
from chalicelib.store.orders import orders as order_store


def for_creation(order: Order, account, coupon) -> tuple[Order, Callable | None]:
    """The new order (with the wallet money it takes) and what to write with it; `account` and
    `coupon` as read when it was priced. Raises INSUFFICIENT_BALANCE / POINTS_INSUFFICIENT."""
    from chalicelib.domain.wallet.changes import for_wallet_order
    stages: list[Callable] = []
    pay_fen = order.pay_amount_fen if order.pay_method == WALLET else 0
    change = for_wallet_order(account, order.id, pay_fen, order.points_redeemed,
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
    commit_with(transition, also)
    facts.record(transition)
    return transition


def commit_with(transition: Transition, also: Callable | None) -> Transition:
    """Write the transition, `also` (its effects: for a new order, what for_creation gave) and
    the outbox messages it owes, in one transaction; then send those messages."""
    messages = outbox_messages(notices(transition), times.now())
    order_store.commit(transition, _all([stage for stage in (also, outbox.staged(messages))
                                         if stage is not None]))
    outbox.send_now(messages)
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
        from chalicelib.domain.wallet.points_changes import for_points_returned
        from chalicelib.store.wallet import accounts as account_store
        change = for_points_returned(
            account_store.get_account(order.user_id), order.id, order.points_redeemed,
            order.pay_amount_fen, 0, order.pay_amount_fen, at)
        if change is not None:
            stages.append(_account_stage(change))
    if order.coupon_id:
        stages.append(_coupon_release(order))
    return _all(stages)


def _earn_points(transition: Transition, at) -> tuple[Transition, Callable | None]:
    """Earn on what the order finally keeps: the payment less every refund reserved so far,
    the confirmation's own settlement refund included (domain/wallet/points_takeback.py)."""
    from chalicelib.domain.wallet.points import points_earned
    from chalicelib.domain.wallet.points_changes import for_points_earned
    from chalicelib.services.wallet.rules import points_rules
    from chalicelib.store.wallet import accounts as account_store
    order, rules = transition.after, points_rules()
    basis = order.refundable_fen
    order = replace(order, points_basis_fen=basis, points_earned=points_earned(basis, rules))
    change = for_points_earned(account_store.get_account(order.user_id), order.id, basis, at,
                               rules)
    stage = _account_stage(change) if change is not None else None
    return replace(transition, after=order), stage


def _service_time(order: Order) -> Callable | None:
    """The station's queue estimate learns the paid->fuelled time (no read, no extra call)."""
    from chalicelib.services.stations import activity
    return activity.fuelled_stage(order.station_id, order.paid_at, order.fuelled_at)


def _refund_effects(before: Order, after: Order, refund: rf.Refund, at) -> Callable | None:
    wallet = after.pay_method == WALLET
    # A refund requested after the confirmation (domain/orders/refund_changes.py counts it in
    # points_refunded_fen) takes back its share of the points and of the spend; the others were
    # never part of what the order earned on.
    counted_fen = after.points_refunded_fen - before.points_refunded_fen
    stages = [_coupon_release(after)] if after.status == REFUNDED and after.coupon_id else []
    if not (wallet or after.points_redeemed or counted_fen):
        return _all(stages)  # nothing on the account moves: no need to read it
    from chalicelib.domain.wallet import points_changes
    from chalicelib.domain.wallet.changes import combine, for_refund
    from chalicelib.domain.wallet.points_takeback import for_points_taken_back, taken_back
    from chalicelib.store.wallet import accounts as account_store
    account = account_store.get_account(after.user_id)
    changes = []
    if wallet:
        changes.append(for_refund(
            account, after.id, Split(after.wallet_paid_fen, after.wallet_bonus_fen),
            before.refunded_fen, refund.amount_fen, at))
    if after.points_redeemed:
        changes.append(points_changes.for_points_returned(
            _latest(account, changes), after.id, after.points_redeemed, after.pay_amount_fen,
            before.refunded_fen, refund.amount_fen, at))
    if counted_fen:
        points = taken_back(before.points_earned, before.earned_on_fen, before.points_refunded_fen,
                            counted_fen)
        changes.append(for_points_taken_back(_latest(account, changes), after.id, points, at))
        changes.append(points_changes.for_spend_refunded(
            _latest(account, changes), counted_fen, before.fuelled_at, at))
    change = combine(*changes)
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
