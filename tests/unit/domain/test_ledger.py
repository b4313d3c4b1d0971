"""Hash-chained ledger: building entries, verifying chains, and finding the first broken link."""
import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.domain.wallet import points as pts, balance as wallet
from chalicelib.domain.errors import RuleViolation
from chalicelib.domain.wallet.ledger import (
    GENESIS_HASH, HASHED_FIELDS, entry_hash, next_entry, verify_chain)

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


def chain(*moves, account="u1"):
    """Entries from (reason, amount[, bonus_part]) tuples, one second apart."""
    entries = []
    for i, (reason, amount, *bonus) in enumerate(moves):
        entries.append(next_entry(entries[-1] if entries else None, account_id=account, reason=reason,
                                  amount=amount, ref=f"r{i}", at=T0 + timedelta(seconds=i),
                                  bonus_part=bonus[0] if bonus else 0))
    return entries


WALLET = [("topup", 10_000), ("bonus", 2_000, 2_000), ("order", -11_000, -1_000), ("refund", 4_000, 1_000),
          ("topup", 1)]


# --- building --------------------------------------------------------------------------------

def test_the_first_entry_chains_to_the_genesis_hash():
    first = chain(("topup", 10_000))[0]

    assert (first.seq, first.prev_hash, first.balance_after, first.paid_after, first.bonus_after) == (
        1, GENESIS_HASH, 10_000, 10_000, 0)
    assert GENESIS_HASH == "0" * 64


def test_each_entry_carries_the_balance_after_it_and_its_buckets():
    entries = chain(*WALLET)

    assert [(e.seq, e.balance_after, e.paid_after, e.bonus_after) for e in entries] == [
        (1, 10_000, 10_000, 0), (2, 12_000, 10_000, 2_000), (3, 1_000, 0, 1_000), (4, 5_000, 3_000, 2_000),
        (5, 5_001, 3_001, 2_000)]
    assert all(e.prev_hash == p.hash for p, e in zip(entries, entries[1:]))


def test_the_hash_is_sha256_of_sorted_compact_utf8_json_of_the_fields_and_previous_hash():
    entry = chain(("points_earned", 88))[0]
    payload = {name: getattr(entry, name) for name in HASHED_FIELDS}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    assert entry.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert entry.at == "2024-05-01T08:30:00.000000Z"
    assert (entry.kind, entry.paid_after, entry.bonus_after) == ("points", None, None)
    assert entry_hash({**entry.as_dict(), "extra": 1}, entry.prev_hash) == entry.hash


def test_an_entry_that_would_go_below_zero_is_refused():
    with pytest.raises(RuleViolation) as money:
        chain(("topup", 100), ("order", -101))
    with pytest.raises(RuleViolation) as spent_bonus:
        chain(("topup", 100), ("order", -50, -1))
    with pytest.raises(RuleViolation) as points:
        chain(("points_earned", 10), ("points_redeemed", -11))

    assert (money.value.code, spent_bonus.value.code, points.value.code) == (
        "INSUFFICIENT_BALANCE", "INSUFFICIENT_BALANCE", "POINTS_INSUFFICIENT")


@pytest.mark.parametrize("reason, amount, bonus_part", [
    ("topup", -100, 0), ("order", 100, 0), ("topup", 0, 0), ("topup", 100, 10), ("bonus", 100, 0),
    ("order", -100, -101), ("order", -100, 5), ("points_earned", 5, 5), ("cashback", 5, 0), ("topup", 1.5, 0),
])
def test_an_entry_whose_amount_does_not_fit_its_reason_is_a_programming_error(reason, amount, bonus_part):
    with pytest.raises(ValueError):
        next_entry(None, account_id="u1", reason=reason, amount=amount, ref="r", at=T0, bonus_part=bonus_part)


def test_an_entry_follows_only_its_own_account_and_kind():
    money = chain(("topup", 100))[0]

    with pytest.raises(ValueError):
        next_entry(money, account_id="u2", reason="topup", amount=1, ref="r", at=T0)
    with pytest.raises(ValueError):
        next_entry(money, account_id="u1", reason="points_earned", amount=1, ref="r", at=T0)


# --- verifying -------------------------------------------------------------------------------

def test_an_untouched_chain_verifies_and_gives_its_balance():
    check = verify_chain(chain(*WALLET), expected_last_seq=5, expected_balance=5_001)

    assert (check.ok, check.first_broken_seq, check.balance, check.last_seq) == (True, None, 5_001, 5)
    assert (check.paid_fen, check.bonus_fen) == (3_001, 2_000)


def test_an_empty_chain_is_a_zero_balance():
    assert verify_chain([]) == verify_chain([], expected_last_seq=0, expected_balance=0)
    assert verify_chain([]).ok and verify_chain([]).balance == 0


def test_an_edited_amount_is_found_at_its_entry():
    entries = chain(*WALLET)
    entries[2] = replace(entries[2], amount=-10_000)

    check = verify_chain(entries)

    assert (check.ok, check.first_broken_seq, check.balance, check.last_seq) == (False, 3, 12_000, 2)
    assert "hash" in check.reason


def test_an_edit_with_its_hash_recomputed_is_found_by_the_next_link():
    entries = chain(*WALLET)
    forged = replace(entries[1], ref="someone-else")
    entries[1] = replace(forged, hash=entry_hash(forged.as_dict(), forged.prev_hash))

    check = verify_chain(entries)

    assert (check.first_broken_seq, check.balance) == (2, 10_000)
    assert "rewritten" in check.reason


def test_a_wrong_balance_after_is_found_even_with_a_consistent_hash():
    entries = chain(*WALLET)
    forged = replace(entries[-1], balance_after=9_999, paid_after=7_999)
    entries[-1] = replace(forged, hash=entry_hash(forged.as_dict(), forged.prev_hash))

    check = verify_chain(entries)

    assert (check.ok, check.first_broken_seq) == (False, 5)
    assert "balance_after" in check.reason


def test_a_deleted_entry_is_reported_as_missing_at_its_seq():
    entries = chain(*WALLET)
    del entries[1]

    check = verify_chain(entries)

    assert (check.first_broken_seq, check.reason) == (2, "entry 2 is missing")


def test_a_deleted_last_entry_shows_against_what_the_account_holds():
    entries = chain(*WALLET)[:-1]

    assert verify_chain(entries).ok
    assert verify_chain(entries, expected_last_seq=5).first_broken_seq == 5
    assert verify_chain(entries, expected_balance=5_001).first_broken_seq == 5


def test_a_rewritten_last_entry_shows_against_the_head_hash_the_account_holds():
    entries = chain(*WALLET)
    head = entries[-1].hash
    forged = replace(entries[-1], ref="other")
    entries[-1] = replace(forged, hash=entry_hash(forged.as_dict(), forged.prev_hash))

    assert verify_chain(entries).ok
    assert verify_chain(entries, expected_head_hash=head).first_broken_seq == 5


def test_reordered_entries_are_reported_out_of_order():
    entries = chain(*WALLET)
    entries[1], entries[2] = entries[2], entries[1]

    assert (verify_chain(entries).first_broken_seq, verify_chain(entries).reason) == (2, "entry 2 is out of order")


def test_an_entry_of_another_account_does_not_link():
    mine, theirs = chain(*WALLET), chain(*WALLET, account="u2")

    assert verify_chain(mine[:3] + theirs[3:]).first_broken_seq == 4
    assert verify_chain(theirs, account_id="u1", kind="balance").first_broken_seq == 1
    assert verify_chain(mine, account_id="u1", kind="points").first_broken_seq == 1


# --- tampering, any field, any entry ---------------------------------------------------------

moves = st.lists(st.sampled_from([("topup", 5_000), ("bonus", 300, 300), ("order", -2_000, 0),
                                  ("order", -1_000, -100), ("refund", 700, 100), ("topup", 1)]),
                 min_size=1, max_size=15)


def valid_chain(moves_list):
    entries = []
    for reason, amount, *bonus in moves_list:
        try:
            entries.append(next_entry(entries[-1] if entries else None, account_id="u1", reason=reason,
                                      amount=amount, ref=f"r{len(entries)}", at=T0,
                                      bonus_part=bonus[0] if bonus else 0))
        except RuleViolation:
            pass  # that move did not fit the balance: skip it, as the wallet would refuse it
    return entries


def edited(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return value + 1
    return "f" * 64 if value == "0" * 64 or len(value) != 64 else value[::-1]


@settings(max_examples=300)
@given(moves, st.data())
def test_editing_any_field_of_any_entry_is_found_at_that_entry(moves_list, data):
    entries = valid_chain(moves_list)
    if not entries:
        return
    k = data.draw(st.integers(0, len(entries) - 1))
    name = data.draw(st.sampled_from(HASHED_FIELDS + ("hash",)))
    value = getattr(entries[k], name)
    new = edited(value) if name != "kind" else "points"
    if new == value:
        new = value + "x"
    entries[k] = replace(entries[k], **{name: new})

    check = verify_chain(entries)

    assert (check.ok, check.first_broken_seq) == (False, k + 1)


@settings(max_examples=300)
@given(moves, st.data())
def test_deleting_any_entry_is_found_at_its_seq(moves_list, data):
    entries = valid_chain(moves_list)
    if not entries:
        return
    last_seq, balance = entries[-1].seq, entries[-1].balance_after
    k = data.draw(st.integers(0, len(entries) - 1))
    del entries[k]

    check = verify_chain(entries, expected_last_seq=last_seq, expected_balance=balance)

    assert (check.ok, check.first_broken_seq) == (False, k + 1)


# --- a randomised life of an account ---------------------------------------------------------

class Account(RuleBasedStateMachine):
    """Top-ups, wallet orders with points, fuelling, refunds and expiries, all through the rules."""

    def __init__(self):
        super().__init__()
        self.now = T0
        self.balance = wallet.Balance()
        self.money, self.points = [], []
        self.lots = []
        self.orders = []  # dicts: split, pay, refunded, taken, fuelled

    def _append(self, entries, reason, amount, ref, bonus_part=0):
        entries.append(next_entry(entries[-1] if entries else None, account_id="u1", reason=reason, amount=amount,
                                  ref=ref, at=self.now, bonus_part=bonus_part))

    @rule(amount=st.integers(1, 300_000))
    def top_up(self, amount):
        try:
            t = wallet.top_up(self.balance, amount, rule=wallet.BonusRule(50_000, 2_000))
        except RuleViolation:
            return
        self.balance = t.after
        self._append(self.money, "topup", t.paid_fen, f"t{len(self.money)}")
        if t.bonus_fen:
            self._append(self.money, "bonus", t.bonus_fen, f"t{len(self.money)}", t.bonus_fen)

    @rule(gross=st.integers(2, 100_000), wanted=st.integers(0, 5_000))
    def wallet_order(self, gross, wanted):
        redeem = min(wanted, pts.max_redeemable(gross, pts.available_points(self.lots, self.now)))
        pay = gross - pts.redeem_value(redeem, base_fen=gross)
        try:
            s = wallet.spend(self.balance, pay)
        except RuleViolation:
            return
        ref = f"o{len(self.orders)}"
        self.balance = s.after
        self._append(self.money, "order", -pay, ref, -s.bonus_fen)
        self.lots, taken = pts.spend_lots(self.lots, redeem, self.now)
        if redeem:
            self._append(self.points, "points_redeemed", -redeem, ref)
        self.orders.append({"split": s.split, "pay": pay, "refunded": 0, "taken": taken, "fuelled": False,
                            "returned": wallet.Split(0, 0)})

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 10_000))
    def fuelled(self, pick):
        order = self.orders[pick % len(self.orders)]
        lot = None if order["fuelled"] else pts.earn(f"e{pick}", order["pay"], self.now)
        order["fuelled"] = True
        if lot:
            self.lots.append(lot)
            self._append(self.points, "points_earned", lot.points, lot.ref)

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 10_000), share=st.integers(1, 100))
    def refund(self, pick, share):
        order = self.orders[pick % len(self.orders)]
        left = order["pay"] - order["refunded"]
        if not left:
            return
        amount = max(left * share // 100, 1)
        returned = wallet.refund_split(order["split"], order["refunded"], amount)
        credit = wallet.credit_refund(self.balance, returned)
        back = pts.return_lots(order["taken"], order["pay"], order["refunded"], amount)
        order["refunded"] += amount
        order["returned"] = wallet.Split(order["returned"].paid_fen + returned.paid_fen,
                                         order["returned"].bonus_fen + returned.bonus_fen)
        self.balance = credit.after
        if credit.credited.total_fen:
            self._append(self.money, "refund", credit.credited.total_fen, "o", credit.credited.bonus_fen)
        if back:
            self.lots += back
            self._append(self.points, "points_returned", sum(lot.points for lot in back), "o")

    @rule(days=st.integers(1, 400))
    def time_passes(self, days):
        self.now += timedelta(days=days)
        expired = pts.expire(self.lots, self.now)
        self.lots = pts.live_lots(self.lots, self.now)
        if expired:
            self._append(self.points, "points_expired", -expired, f"x{self.now:%Y%m%d}")

    @invariant()
    def money_ledger_verifies_and_equals_the_balance(self):
        check = verify_chain(self.money, expected_balance=self.balance.total_fen)
        assert check.ok, check.reason
        assert (check.paid_fen or 0, check.bonus_fen or 0) == (self.balance.paid_fen, self.balance.bonus_fen)
        assert check.balance == sum(e.amount for e in self.money) <= wallet.CAP_FEN

    @invariant()
    def points_ledger_verifies_and_equals_the_lots(self):
        held = sum(lot.points for lot in self.lots)
        check = verify_chain(self.points, expected_balance=held)
        assert check.ok, check.reason
        assert check.balance == sum(e.amount for e in self.points)

    @invariant()
    def refunds_never_return_more_than_was_taken(self):
        for order in self.orders:
            assert order["refunded"] <= order["pay"] == order["split"].total_fen
            assert order["returned"].paid_fen <= order["split"].paid_fen
            assert order["returned"].bonus_fen <= order["split"].bonus_fen
            assert order["returned"].total_fen == order["refunded"]


Account.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestAccountLife = Account.TestCase
