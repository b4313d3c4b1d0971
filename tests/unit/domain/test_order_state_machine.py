"""The order state machine as pure rules: what may follow what, and where every fen goes."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.errors import Conflict, InvalidInput, RuleViolation
from chalicelib.domain.orders.events import (
    ORDER_CREATED, ORDER_FUELLED, ORDER_PAID, PAYMENT_AFTER_CLOSE, REFUND_ABNORMAL, REFUND_FAILED,
    REFUND_REQUESTED, REFUND_SUCCEEDED)
from chalicelib.domain.orders.lifecycle import PaymentMismatch, close, confirm, create, pay
from chalicelib.domain.orders.refund_changes import refund_outcome, request_refund
from chalicelib.domain.orders.orders import (
    CLOSED, FUELLED, PAID, PARTIALLY_REFUNDED, PENDING_PAYMENT, REFUNDED, STATUSES, Order,
    can_transition, check_amount)

T0 = datetime(2026, 5, 1, 2, 0, tzinfo=timezone.utc)


def _order(**overrides) -> Order:
    values = dict(id="FO" + "A" * 26, user_id="u_1", openid="o-1", station_id="ty-001",
                  station_name="S", grade="92", nozzle_no=1, price_fen=700, list_price_fen=718,
                  pump_amount_fen=30000, discount_fen=752, pay_amount_fen=29248, liters_ml=41783,
                  pay_method="wechatpay", description="d", request_hash="h", created_at=T0,
                  expires_at=T0 + timedelta(minutes=15))
    values.update(overrides)
    return create(Order(**values), actor="driver:u_1").after


def _paid(**overrides) -> Order:
    order = _order(**overrides)
    return pay(order, transaction_id="4200T1", paid_at=T0, amount_fen=order.pay_amount_fen,
               openid="o-1", at=T0, actor="wechatpay:EV1").after


def _refund_of(transition):
    return transition.refund_created


# --- the table of transitions ---------------------------------------------------------------------
@pytest.mark.parametrize("before, after", [
    (PENDING_PAYMENT, PAID), (PENDING_PAYMENT, CLOSED), (PAID, FUELLED), (PAID, REFUNDED),
    (FUELLED, PARTIALLY_REFUNDED), (PARTIALLY_REFUNDED, REFUNDED)])
def test_allowed_transitions(before, after):
    assert can_transition(before, after)


@pytest.mark.parametrize("before, after", [
    (PAID, PENDING_PAYMENT), (CLOSED, PAID), (FUELLED, PAID), (REFUNDED, PARTIALLY_REFUNDED),
    (PENDING_PAYMENT, FUELLED), (CLOSED, REFUNDED)])
def test_forbidden_transitions(before, after):
    assert not can_transition(before, after)


def test_final_statuses_lead_nowhere_else():
    assert [s for s in STATUSES if can_transition(CLOSED, s)] == [CLOSED]
    assert [s for s in STATUSES if can_transition(REFUNDED, s)] == [REFUNDED]


@pytest.mark.parametrize("amount, code", [(99, "AMOUNT_TOO_SMALL"), (300_001, "AMOUNT_TOO_LARGE")])
def test_amount_outside_limits_is_refused(amount, code):
    with pytest.raises(InvalidInput) as caught:
        check_amount(amount, 300_000)
    assert caught.value.code == code


def test_amount_at_the_limits_is_accepted():
    assert check_amount(100, 300_000) is None
    assert check_amount(300_000, 300_000) is None


# --- create, pay, close ---------------------------------------------------------------------------
def test_created_order_is_pending_at_version_one_with_one_history_entry():
    transition = create(replace(_order(), version=0), actor="driver:u_1")

    assert transition.after.status == PENDING_PAYMENT and transition.after.version == 1
    assert [(e.seq, e.type, e.status_before) for e in transition.events] == [(1, ORDER_CREATED, None)]


def test_payment_moves_pending_to_paid_with_one_entry_carrying_the_transaction():
    order = _order()

    transition = pay(order, transaction_id="4200T1", paid_at=T0, amount_fen=29248, openid="o-1",
                     at=T0, actor="wechatpay:EV1")

    assert transition.after.status == PAID and transition.after.version == 2
    (event,) = transition.events
    assert (event.seq, event.type, event.actor) == (2, ORDER_PAID, "wechatpay:EV1")
    assert event.provider_ids == {"out_trade_no": order.id, "transaction_id": "4200T1"}


def test_same_payment_again_changes_nothing():
    assert pay(_paid(), transaction_id="4200T1", paid_at=T0, amount_fen=29248, openid="o-1",
               at=T0, actor="wechatpay:EV2") is None


@pytest.mark.parametrize("field, value", [("amount_fen", 29247), ("openid", "o-other"),
                                          ("transaction_id", "4200OTHER")])
def test_payment_that_does_not_fit_is_refused(field, value):
    order = _paid() if field == "transaction_id" else _order()
    arguments = dict(transaction_id="4200T1", paid_at=T0, amount_fen=29248, openid="o-1", at=T0,
                     actor="wechatpay:EV1")
    arguments[field] = value

    with pytest.raises(PaymentMismatch):
        pay(order, **arguments)


def test_payment_for_a_closed_order_is_recorded_and_refunded_in_full():
    closed = close(_order(), at=T0, actor="job:payment-expiry", reason="not paid in time").after

    transition = pay(closed, transaction_id="4200T9", paid_at=T0, amount_fen=29248, openid="o-1",
                     at=T0, actor="wechatpay:EV9")

    after, refund = transition.after, _refund_of(transition)
    assert after.status == CLOSED and after.transaction_id == "4200T9"
    assert after.refund_reserved_fen == 29248 and after.refundable_fen == 0
    assert (refund.kind, refund.amount_fen, refund.out_refund_no) == (rf.LATE_PAYMENT, 29248,
                                                                      closed.id + "-L")
    assert [e.type for e in transition.events] == [PAYMENT_AFTER_CLOSE, REFUND_REQUESTED]
    assert [e.seq for e in transition.events] == [3, 4] and after.version == 4


def test_close_of_a_pending_order_and_again():
    closed = close(_order(), at=T0, actor="driver:u_1", reason="cancelled").after

    assert closed.status == CLOSED and closed.close_reason == "cancelled"
    assert close(closed, at=T0, actor="driver:u_1", reason="again") is None


def test_paid_order_cannot_be_closed():
    with pytest.raises(Conflict) as caught:
        close(_paid(), at=T0, actor="driver:u_1", reason="cancelled")
    assert caught.value.code == "ORDER_NOT_CANCELLABLE"


# --- confirm ---------------------------------------------------------------------------------------
def test_confirm_of_an_unpaid_order_is_refused():
    with pytest.raises(Conflict) as caught:
        confirm(_order(), actual_pump_amount_fen=None, liters_ml=None, at=T0, actor="staff:s")
    assert caught.value.code == "ORDER_NOT_PAID"


def test_full_confirmation_fuels_without_a_refund():
    transition = confirm(_paid(), actual_pump_amount_fen=None, liters_ml=None, at=T0, actor="staff:s")

    after = transition.after
    assert after.status == FUELLED and after.actual_amount_fen == 29248 and after.shipping_due
    assert transition.refund_created is None and [e.type for e in transition.events] == [ORDER_FUELLED]


def test_smaller_actual_amount_reserves_the_difference_at_the_orders_own_discount():
    order = _paid()  # 300 yuan on the pump, 292.48 paid (a per-litre discount)

    transition = confirm(order, actual_pump_amount_fen=25000, liters_ml=None, at=T0, actor="staff:s")

    after, refund = transition.after, transition.refund_created
    assert after.actual_amount_fen == 24373  # 29248 * 250/300, rounded half up
    assert after.liters_ml == 34819  # 250 yuan at 7.18 yuan/L
    assert (refund.kind, refund.amount_fen, refund.out_refund_no) == (rf.SETTLEMENT, 29248 - 24373,
                                                                      order.id + "-S")
    assert after.refund_reserved_fen == 4875 and after.refundable_fen == 24373
    assert [e.type for e in transition.events] == [ORDER_FUELLED, REFUND_REQUESTED]


def _own_change(event) -> dict:
    """What an event itself changed, as a history line shows it: status, and each amount moved."""
    keys = set(event.amounts_before) | set(event.amounts_after)
    return {"status": (event.status_before, event.status_after),
            **{k: (event.amounts_before.get(k), event.amounts_after.get(k)) for k in sorted(keys)
               if event.amounts_before.get(k) != event.amounts_after.get(k)}}


def test_each_event_of_a_change_shows_only_its_own_part_of_it():
    """A short fill's confirmation: the fuelling sets the charge, the refund reserves the rest;
    neither line repeats the other's figures."""
    transition = confirm(_paid(), actual_pump_amount_fen=25000, liters_ml=None, at=T0,
                         actor="staff:s")

    fuelled, requested = transition.events
    assert _own_change(fuelled) == {"status": (PAID, FUELLED), "actual_amount_fen": (None, 24373)}
    assert _own_change(requested) == {"status": (FUELLED, FUELLED),
                                      "refund_reserved_fen": (0, 4875)}
    assert requested.amounts_after == transition.after.amounts()


def test_a_late_payment_and_its_refund_are_two_lines_of_their_own():
    closed = close(_order(), at=T0, actor="job:payment-expiry", reason="not paid in time").after

    paid_late, requested = pay(closed, transaction_id="4200T9", paid_at=T0, amount_fen=29248,
                               openid="o-1", at=T0, actor="wechatpay:EV9").events

    assert _own_change(paid_late) == {"status": (CLOSED, CLOSED)}
    assert _own_change(requested) == {"status": (CLOSED, CLOSED),
                                      "refund_reserved_fen": (0, 29248)}


def test_an_approved_refund_request_and_its_refund_are_two_lines_of_their_own():
    from chalicelib.domain.orders.refund_requests import approve, open_request

    asked = open_request(_paid(), reason="pump broke", at=T0, actor="driver:u_1").after

    approved, requested = approve(asked, at=T0, actor="staff:s:manager").events

    assert _own_change(approved) == {"status": (PAID, PAID)}
    assert _own_change(requested) == {"status": (PAID, PAID), "refund_reserved_fen": (0, 29248)}


def test_same_confirmation_again_changes_nothing_and_other_figures_conflict():
    fuelled = confirm(_paid(), actual_pump_amount_fen=25000, liters_ml=None, at=T0,
                      actor="staff:s").after

    assert confirm(fuelled, actual_pump_amount_fen=25000, liters_ml=None, at=T0,
                   actor="staff:s") is None
    with pytest.raises(Conflict) as caught:
        confirm(fuelled, actual_pump_amount_fen=24000, liters_ml=None, at=T0, actor="staff:s")
    assert caught.value.code == "ORDER_ALREADY_CONFIRMED"


def test_actual_amount_above_what_was_paid_for_is_refused():
    with pytest.raises(RuleViolation) as caught:
        confirm(_paid(), actual_pump_amount_fen=30001, liters_ml=None, at=T0, actor="staff:s")
    assert caught.value.code == "ACTUAL_AMOUNT_ABOVE_PAID"


def test_given_litres_are_taken_as_the_pump_shows_them():
    after = confirm(_paid(), actual_pump_amount_fen=25000, liters_ml=34800, at=T0,
                    actor="staff:s").after
    assert after.liters_ml == 34800


# --- refunds ---------------------------------------------------------------------------------------
def _manual(order, amount, key="k1"):
    return request_refund(order, out_refund_no="RF" + key.upper().ljust(26, "A")[:26],
                          amount_fen=amount, reason="complaint", at=T0, actor="staff:m",
                          request_hash="h")


def test_refund_above_the_refundable_rest_is_refused():
    with pytest.raises(RuleViolation) as caught:
        _manual(_paid(), 29249)
    assert caught.value.code == "REFUND_ABOVE_REFUNDABLE"


def test_unpaid_order_cannot_be_refunded():
    with pytest.raises(Conflict) as caught:
        _manual(_order(), 100)
    assert caught.value.code == "ORDER_NOT_REFUNDABLE"


def test_partial_refund_success_makes_the_order_partially_refunded():
    requested = _manual(_paid(), 1000)

    done = refund_outcome(requested.after, requested.refund_created, rf.SUCCESS, at=T0,
                          actor="wechatpay:EV3", refund_id="503R1")

    assert done.after.status == PARTIALLY_REFUNDED and done.after.refunded_fen == 1000
    assert done.refund_changed[1].status == rf.SUCCESS and done.refund_changed[1].refund_id == "503R1"
    assert [e.type for e in done.events] == [REFUND_SUCCEEDED]


def test_refunding_everything_makes_the_order_refunded():
    requested = _manual(_paid(), 29248)

    done = refund_outcome(requested.after, requested.refund_created, rf.SUCCESS, at=T0, actor="x")

    assert done.after.status == REFUNDED and done.after.refundable_fen == 0


def test_settlement_refund_success_keeps_the_order_fuelled():
    confirmed = confirm(_paid(), actual_pump_amount_fen=25000, liters_ml=None, at=T0, actor="staff:s")

    done = refund_outcome(confirmed.after, confirmed.refund_created, rf.SUCCESS, at=T0, actor="x")

    assert done.after.status == FUELLED and done.after.refunded_fen == 4875


def test_closed_refund_frees_the_money_and_abnormal_keeps_it_reserved():
    requested = _manual(_paid(), 1000)
    refund = requested.refund_created

    failed = refund_outcome(requested.after, refund, rf.CLOSED, at=T0, actor="x",
                            failure_reason="closed")
    abnormal = refund_outcome(requested.after, refund, rf.ABNORMAL, at=T0, actor="x")

    assert failed.after.refund_reserved_fen == 0 and failed.events[0].type == REFUND_FAILED
    assert abnormal.after.refund_reserved_fen == 1000 and abnormal.events[0].type == REFUND_ABNORMAL
    later = refund_outcome(abnormal.after, abnormal.refund_changed[1], rf.SUCCESS, at=T0, actor="x")
    assert later.after.refunded_fen == 1000


def test_an_outcome_applied_twice_changes_nothing():
    requested = _manual(_paid(), 1000)
    done = refund_outcome(requested.after, requested.refund_created, rf.SUCCESS, at=T0, actor="x")

    assert refund_outcome(done.after, done.refund_changed[1], rf.SUCCESS, at=T0, actor="x") is None
    assert refund_outcome(done.after, done.refund_changed[1], rf.CLOSED, at=T0, actor="x") is None


def test_at_most_fifty_refunds_per_order():
    order = replace(_paid(), refund_count=50)
    with pytest.raises(RuleViolation) as caught:
        _manual(order, 1)
    assert caught.value.code == "TOO_MANY_REFUNDS"


# --- invariants under any sequence -----------------------------------------------------------------
operations = st.lists(st.one_of(
    st.tuples(st.just("refund"), st.integers(min_value=1, max_value=30000)),
    st.tuples(st.just("confirm"), st.integers(min_value=1, max_value=30000)),
    st.tuples(st.just("outcome"), st.sampled_from([rf.SUCCESS, rf.CLOSED, rf.ABNORMAL]))),
    max_size=25)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_no_sequence_of_refunds_and_confirmations_returns_more_than_was_paid(ops):
    order, open_refunds, history = _paid(), [], []
    for index, (kind, value) in enumerate(ops):
        try:
            if kind == "refund":
                transition = _manual(order, value, key=f"K{index}")
            elif kind == "confirm":
                transition = confirm(order, actual_pump_amount_fen=value, liters_ml=None, at=T0,
                                     actor="staff:s")
            elif open_refunds:
                transition = refund_outcome(order, open_refunds[0], value, at=T0, actor="x")
            else:
                continue
        except (Conflict, RuleViolation, InvalidInput):
            continue
        if transition is None:
            continue
        assert transition.after.version == order.version + len(transition.events)
        history += transition.events
        order = transition.after
        if transition.refund_created:
            open_refunds.append(transition.refund_created)
        if transition.refund_changed:
            open_refunds.pop(0)
            if transition.refund_changed[1].status == rf.ABNORMAL:
                open_refunds.append(transition.refund_changed[1])
        assert 0 <= order.refunded_fen <= order.refund_reserved_fen <= order.pay_amount_fen
    assert [e.seq for e in history] == list(range(3, 3 + len(history)))
