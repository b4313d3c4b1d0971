"""The payment lifecycle of an order as pure transitions: create, pay, close, confirm.

Each function takes the order as read and returns the Transition to write (or None when the
change was already made: a repeated notification, a second cancel, the same confirmation again).
Refusals are domain errors with their own codes.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.errors import Conflict, InvalidInput, RuleViolation
from chalicelib.domain.money import ML_PER_LITRE, div_round_half_up
from chalicelib.domain.orders.events import (
    ORDER_CLOSED, ORDER_CREATED, ORDER_FUELLED, ORDER_PAID, PAYMENT_AFTER_CLOSE, REFUND_REQUESTED,
    OrderEvent, Transition)
from chalicelib.domain.orders.ids import late_payment_refund_no, settlement_refund_no
from chalicelib.domain.orders.refund_changes import new_refund, reserve
from chalicelib.domain.orders.refund_requests import BLOCKS_CONFIRMATION
from chalicelib.domain.orders.orders import (
    CLOSED, FUELLED, PAID, PENDING_PAYMENT, REFUNDED, WECHATPAY, Order, step)

LATE_PAYMENT_REASON = "订单已关闭后付款，全额退款"
SETTLEMENT_REASON = "预付金额多于实际加油金额，退还差额"
MAX_CONFIRM_LITERS_ML = 2_000_000  # 2 m3: more than any tank a pump fills at once


class PaymentMismatch(InvalidInput):
    """A payment that does not fit its order (amount, payer, another transaction): never applied."""

    code = "PAYMENT_MISMATCH"


def create(order: Order, *, actor: str) -> Transition:
    created = replace(order, status=PENDING_PAYMENT, version=1)
    event = OrderEvent(order_id=order.id, seq=1, type=ORDER_CREATED, at=order.created_at,
                       actor=actor, status_before=None, status_after=PENDING_PAYMENT,
                       amounts_before={}, amounts_after=created.amounts(),
                       provider_ids={"out_trade_no": order.out_trade_no})
    return Transition(None, created, (event,))


def create_paid_from_wallet(order: Order, *, actor: str) -> Transition:
    """A wallet order is paid as it is created: the balance is debited in the same transaction,
    so there is no PENDING_PAYMENT to wait in and nothing to close at WeChat Pay."""
    created = create(order, actor=actor)
    paid = replace(order, paid_at=order.created_at)
    after, events = step(created.after, replace(paid, status=PAID), [ORDER_PAID],
                         at=order.created_at, actor=actor)
    return Transition(None, after, created.events + events)


def payment_on_record(what: str, *, due_fen: int, payer: str, recorded_id: str | None,
                      transaction_id: str, amount_fen: int, openid: str) -> bool:
    """Whether this payment of an order or top-up (`what`) is already on record; raises
    PaymentMismatch when its amount, payer or transaction does not fit."""
    if amount_fen != due_fen:
        raise PaymentMismatch(f"paid {amount_fen} fen, the {what} is {due_fen}")
    if openid != payer:
        raise PaymentMismatch(f"the payer is not the driver of the {what}")
    if recorded_id:
        if recorded_id == transaction_id:
            return True
        raise PaymentMismatch(f"another transaction already paid this {what}")
    return False


def pay(order: Order, *, transaction_id: str, paid_at: datetime, amount_fen: int, openid: str,
        at: datetime, actor: str) -> Transition | None:
    """PENDING_PAYMENT -> PAID; for a CLOSED order the payment is recorded and refunded in full."""
    if payment_on_record("order", due_fen=order.pay_amount_fen, payer=order.openid,
                         recorded_id=order.transaction_id, transaction_id=transaction_id,
                         amount_fen=amount_fen, openid=openid):
        return None
    paid = replace(order, transaction_id=transaction_id, paid_at=paid_at)
    if order.status == PENDING_PAYMENT:
        after, events = step(order, replace(paid, status=PAID), [ORDER_PAID], at=at, actor=actor)
        return Transition(order, after, events)
    if order.status != CLOSED:
        raise PaymentMismatch(f"an order in status {order.status} has no payment on record")
    refund = new_refund(paid, out_refund_no=late_payment_refund_no(order.id), kind=rf.LATE_PAYMENT,
                        amount_fen=order.pay_amount_fen, reason=LATE_PAYMENT_REASON, at=at,
                        actor=actor)
    after, events = step(order, reserve(paid, paid, refund), [PAYMENT_AFTER_CLOSE, REFUND_REQUESTED],
                         at=at, actor=actor, provider_ids={"out_refund_no": refund.out_refund_no},
                         reason=LATE_PAYMENT_REASON, between=(paid,))
    return Transition(order, after, events, refund_created=refund)


def close(order: Order, *, at: datetime, actor: str, reason: str) -> Transition | None:
    """PENDING_PAYMENT -> CLOSED (the caller closed it at WeChat Pay first); None if closed."""
    if order.status == CLOSED:
        return None
    if order.status != PENDING_PAYMENT:
        raise Conflict(f"the order is {order.status} and can no longer be cancelled",
                       code="ORDER_NOT_CANCELLABLE")
    after, events = step(order, replace(order, status=CLOSED, closed_at=at, close_reason=reason),
                         [ORDER_CLOSED], at=at, actor=actor, reason=reason)
    return Transition(order, after, events)


def final_charge(order: Order, actual_pump_amount_fen: int) -> int:
    """What fuel shown as `actual` on the pump costs at the order's own terms (its discount kept
    in proportion), so the driver never pays more per litre than the order promised."""
    return div_round_half_up(order.pay_amount_fen * actual_pump_amount_fen, order.pump_amount_fen)


def _check_confirmable(order: Order, actual: int, liters_ml: int | None) -> bool:
    """True when this exact confirmation was already made; raises when it cannot be made."""
    if order.status == PENDING_PAYMENT:
        raise Conflict("the order is not paid yet", code="ORDER_NOT_PAID")
    if order.status == CLOSED:
        raise Conflict("the order is closed", code="ORDER_CLOSED")
    if order.fuelled_at is not None:
        if order.actual_pump_amount_fen == actual and liters_ml in (None, order.liters_ml):
            return True
        raise Conflict("the order was already confirmed with other figures",
                       code="ORDER_ALREADY_CONFIRMED")
    if order.status == REFUNDED:
        raise Conflict("the order was refunded in full", code="ORDER_REFUNDED")
    if order.refund_request_status in BLOCKS_CONFIRMATION:
        # The driver says the fill never happened: only declining the request reopens it.
        raise Conflict("the driver asked for a refund of this order; answer the request first",
                       code="REFUND_REQUESTED")
    if actual < 1:
        raise InvalidInput("actual_amount_fen must be positive", code="ACTUAL_AMOUNT_INVALID",
                           field="actual_amount_fen")
    if actual > order.pump_amount_fen:
        raise RuleViolation(f"the pump amount paid for was {order.pump_amount_fen} fen",
                            code="ACTUAL_AMOUNT_ABOVE_PAID", field="actual_amount_fen")
    if liters_ml is not None and not 1 <= liters_ml <= MAX_CONFIRM_LITERS_ML:
        raise InvalidInput("liters_ml is out of range", code="LITERS_INVALID", field="liters_ml")
    return False


def confirm(order: Order, *, actual_pump_amount_fen: int | None, liters_ml: int | None,
            at: datetime, actor: str) -> Transition | None:
    """Fix the final amount and litres; a smaller amount than prepaid reserves the difference
    as a refund in the same change."""
    actual = order.pump_amount_fen if actual_pump_amount_fen is None else actual_pump_amount_fen
    if _check_confirmable(order, actual, liters_ml):
        return None
    charge = final_charge(order, actual)
    litres = liters_ml if liters_ml is not None else div_round_half_up(
        actual * ML_PER_LITRE, order.list_price_fen)
    fuelled = replace(order, status=FUELLED if order.status == PAID else order.status,
                      fuelled_at=at, actual_amount_fen=charge, actual_pump_amount_fen=actual,
                      liters_ml=litres, shipping_due=order.pay_method == WECHATPAY)
    difference = max(0, order.refundable_fen - charge)
    if difference == 0:
        after, events = step(order, fuelled, [ORDER_FUELLED], at=at, actor=actor)
        return Transition(order, after, events)
    refund = new_refund(order, out_refund_no=settlement_refund_no(order.id), kind=rf.SETTLEMENT,
                        amount_fen=difference, reason=SETTLEMENT_REASON, at=at, actor=actor)
    after, events = step(order, reserve(order, fuelled, refund), [ORDER_FUELLED, REFUND_REQUESTED],
                         at=at, actor=actor, provider_ids={"out_refund_no": refund.out_refund_no},
                         reason=SETTLEMENT_REASON, between=(fuelled,))
    return Transition(order, after, events, refund_created=refund)
