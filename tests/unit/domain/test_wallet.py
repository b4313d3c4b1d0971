"""Prepaid balance: fen top-ups under the cap, bonus, paid-first spending, refunds per bucket."""
import pytest
from hypothesis import given, settings, strategies as st

from chalicelib.domain.errors import InvalidInput, RuleViolation
from chalicelib.domain.wallet.balance import (
    CAP_FEN, Balance, BonusRule, Split, credit_refund, refund_split, room_fen, spend, top_up)

EVERY_500_GIVES_20 = BonusRule(every_fen=50_000, bonus_fen=2_000)


# --- top-ups ---------------------------------------------------------------------------------

def test_a_top_up_of_any_fen_amount_is_credited_as_paid_money():
    t = top_up(Balance(), 1_234)

    assert (t.paid_fen, t.bonus_fen, t.after) == (1_234, 0, Balance(1_234, 0))


@pytest.mark.parametrize("amount, bonus", [(49_999, 0), (50_000, 2_000), (99_999, 2_000), (150_000, 6_000)])
def test_the_bonus_is_given_for_every_whole_step_of_one_top_up(amount, bonus):
    t = top_up(Balance(), amount, rule=EVERY_500_GIVES_20)

    assert (t.bonus_fen, t.after) == (bonus, Balance(amount, bonus))


def test_top_ups_are_not_added_together_for_the_bonus():
    first = top_up(Balance(), 30_000, rule=EVERY_500_GIVES_20)
    second = top_up(first.after, 30_000, rule=EVERY_500_GIVES_20)

    assert second.after == Balance(60_000, 0)


def test_a_top_up_that_fills_the_card_exactly_is_accepted():
    t = top_up(Balance(400_000, 50_000), 50_000)

    assert t.after.total_fen == CAP_FEN


def test_a_top_up_over_the_cap_is_refused_and_says_how_much_fits():
    with pytest.raises(RuleViolation) as err:
        top_up(Balance(400_000, 50_000), 50_001)

    assert err.value.code == "TOPUP_OVER_CAP"
    assert "50000" in err.value.message


def test_the_bonus_only_fills_the_room_left_under_the_cap():
    t = top_up(Balance(440_000, 0), 50_000, rule=EVERY_500_GIVES_20)

    assert (t.bonus_fen, t.bonus_forgone_fen, t.after) == (2_000, 0, Balance(490_000, 2_000))
    full = top_up(Balance(450_000, 0), 50_000, rule=EVERY_500_GIVES_20)
    assert (full.bonus_fen, full.bonus_forgone_fen, full.after) == (0, 2_000, Balance(CAP_FEN, 0))
    part = top_up(Balance(449_000, 0), 50_000, rule=EVERY_500_GIVES_20)
    assert (part.bonus_fen, part.bonus_forgone_fen, part.after.total_fen) == (1_000, 1_000, CAP_FEN)


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", True, None])
def test_non_integer_or_non_positive_top_ups_are_bad_input(amount):
    with pytest.raises(InvalidInput) as err:
        top_up(Balance(), amount)

    assert (err.value.code, err.value.field) == ("AMOUNT_INVALID", "amount_fen")


@pytest.mark.parametrize("every, bonus", [(0, 100), (100, 0), (100.0, 10), (-1, 5)])
def test_a_bonus_rule_needs_positive_whole_fen(every, bonus):
    with pytest.raises(InvalidInput) as err:
        BonusRule(every, bonus)

    assert err.value.code == "BONUS_RULE_INVALID"


def test_room_is_what_the_cap_still_allows():
    assert room_fen(Balance(100_000, 20_000)) == 380_000
    assert room_fen(Balance(CAP_FEN, 0)) == 0


# --- spending --------------------------------------------------------------------------------

def test_an_order_spends_paid_money_before_bonus_money():
    s = spend(Balance(10_000, 3_000), 12_000)

    assert (s.paid_fen, s.bonus_fen, s.after) == (10_000, 2_000, Balance(0, 1_000))
    assert s.split == Split(10_000, 2_000)


def test_an_order_within_the_paid_money_keeps_the_bonus():
    assert spend(Balance(10_000, 3_000), 10_000).after == Balance(0, 3_000)


def test_an_order_beyond_the_balance_is_refused():
    with pytest.raises(RuleViolation) as err:
        spend(Balance(10_000, 3_000), 13_001)

    assert err.value.code == "INSUFFICIENT_BALANCE"


@pytest.mark.parametrize("amount", [0, -1, 1.0])
def test_a_bad_order_amount_is_bad_input(amount):
    with pytest.raises(InvalidInput):
        spend(Balance(10_000, 0), amount)


# --- refunds ---------------------------------------------------------------------------------

def test_a_full_refund_gives_each_bucket_back_what_it_paid():
    spent = Split(10_000, 2_000)

    returned = refund_split(spent, 0, 12_000)
    credit = credit_refund(Balance(0, 1_000), returned)

    assert returned == Split(10_000, 2_000)
    assert (credit.after, credit.payout_fen, credit.bonus_forfeited_fen) == (Balance(10_000, 3_000), 0, 0)


def test_a_partial_refund_returns_bonus_first_as_if_the_order_had_been_smaller():
    start = Balance(10_000, 3_000)
    order = spend(start, 12_000)

    returned = refund_split(order.split, 0, 5_000)

    assert returned == Split(3_000, 2_000)
    assert credit_refund(order.after, returned).after == spend(start, 7_000).after


def test_partial_refunds_add_up_to_the_order_and_no_more():
    spent = Split(10_000, 2_000)

    parts = [refund_split(spent, 0, 1_500), refund_split(spent, 1_500, 6_000), refund_split(spent, 7_500, 4_500)]

    assert Split(sum(p.paid_fen for p in parts), sum(p.bonus_fen for p in parts)) == spent
    with pytest.raises(RuleViolation) as err:
        refund_split(spent, 12_000, 1)
    assert err.value.code == "REFUND_EXCEEDS_SPENT"


def test_a_refund_that_no_longer_fits_under_the_cap_pays_the_paid_excess_out():
    full = Balance(495_000, 0)  # topped up after the order was paid

    credit = credit_refund(full, Split(8_000, 2_000))

    assert credit.credited == Split(3_000, 2_000)
    assert (credit.payout_fen, credit.bonus_forfeited_fen, credit.after.total_fen) == (5_000, 0, CAP_FEN)
    squeezed = credit_refund(Balance(499_000, 0), Split(8_000, 2_000))
    assert (squeezed.credited, squeezed.payout_fen, squeezed.bonus_forfeited_fen) == (Split(0, 1_000), 8_000, 1_000)


# --- invariants ------------------------------------------------------------------------------

operations = st.lists(st.tuples(st.sampled_from(["top_up", "spend", "refund"]), st.integers(1, 600_000)),
                      max_size=40)


@settings(max_examples=300)
@given(operations, st.sampled_from([None, EVERY_500_GIVES_20, BonusRule(10_000, 10_000)]))
def test_the_card_never_exceeds_the_cap_and_refunds_never_exceed_what_each_bucket_paid(ops, rule):
    balance, orders = Balance(), []  # orders: [split, refunded so far]
    for op, amount in ops:
        try:
            if op == "top_up":
                balance = top_up(balance, amount, rule=rule).after
            elif op == "spend":
                s = spend(balance, amount)
                balance = s.after
                orders.append([s.split, 0, Split(0, 0)])
            elif orders:
                order = orders[amount % len(orders)]
                refund = 1 + amount % max(order[0].total_fen - order[1], 1)
                returned = refund_split(order[0], order[1], refund)
                before = balance
                credit = credit_refund(balance, returned)
                balance = credit.after
                order[1] += refund
                order[2] = Split(order[2].paid_fen + returned.paid_fen, order[2].bonus_fen + returned.bonus_fen)
                assert credit.credited.paid_fen + credit.payout_fen == returned.paid_fen
                assert balance.total_fen - before.total_fen == credit.credited.total_fen
        except RuleViolation as err:
            assert err.code in {"TOPUP_OVER_CAP", "INSUFFICIENT_BALANCE", "REFUND_EXCEEDS_SPENT"}
        assert balance.total_fen <= CAP_FEN
        for spent, refunded, returned in orders:
            assert returned.paid_fen <= spent.paid_fen and returned.bonus_fen <= spent.bonus_fen
            assert returned.total_fen == refunded
