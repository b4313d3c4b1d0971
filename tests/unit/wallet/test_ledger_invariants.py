"""A randomised run of top-ups, wallet and WeChat Pay orders with points, refunds (taking back
points earned, down to a debt), earnings and expiries (hypothesis stateful testing) on moto: after
every step the stored balance, points and points debt equal the sums of their ledgers and every
chain verifies; at the end, editing any one stored entry
is reported by the hq verify route at exactly that entry."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, initialize, invariant, multiple,
                                 rule, run_state_machine_as_test)

from chalicelib.domain.errors import RuleViolation
from chalicelib.domain.wallet.ledger import KINDS, verify_chain
from chalicelib.domain.wallet.balance import CAP_FEN, BonusRule
from chalicelib.domain.wallet import changes, points_changes
from chalicelib.domain.wallet.points import DEFAULT_RULES as RULES, points_earned
from chalicelib.domain.wallet.points_takeback import for_points_taken_back, taken_back
from chalicelib.store.wallet import accounts as store
from chalicelib.store.wallet.accounts import LedgerModel
from tests.paystack import staff_auth, staff_principal

RULE = BonusRule(50_000, 2_000)
START = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)


@dataclass
class Order:
    id: str
    charge_fen: int  # what the order charged in money (the wallet's part when wallet)
    wallet: bool
    points: int
    spent: object
    refunded_fen: int = 0
    earned: bool = False
    earned_points: int = 0  # on basis_fen: what was left of the charge when it was fuelled
    basis_fen: int = 0
    refunded_after_fen: int = 0  # refunded since it was fuelled


class LedgerMachine(RuleBasedStateMachine):
    client = None  # the chalice test client, set by the test

    orders = Bundle("orders")

    @initialize()
    def open_account(self):
        self.user_id = f"u_{uuid.uuid4().hex}"
        self.now = START
        self.taken_back: dict[str, int] = {}

    def _account(self):
        return store.get_account(self.user_id)

    def _commit(self, change):
        if change is not None:
            store.commit_change(change)

    @rule(amount=st.integers(1, 250_000), hours=st.integers(0, 48))
    def top_up(self, amount, hours):
        self.now += timedelta(hours=hours)
        account = self._account()
        try:
            change = changes.for_topup(account, f"TU{uuid.uuid4().hex[:26].upper()}", amount, RULE,
                                        self.now)
        except RuleViolation as refused:
            assert refused.code == "TOPUP_OVER_CAP" and amount > CAP_FEN - account.balance_fen
            return
        self._commit(change)

    @rule(target=orders, charge=st.integers(1, 60_000), wallet=st.booleans(),
          money_share=st.integers(1, 110), share=st.integers(0, 110), fuelled=st.booleans())
    def place_order(self, charge, wallet, money_share, share, fuelled):
        """A wallet order takes a share of the balance (over 100%: refused); any order may redeem
        a share of the points available (over 100%: refused)."""
        account = self._account()
        if wallet:
            charge = max(1, account.balance_fen * money_share // 100)
        points = account.points_available(self.now) * share // 100 + (share > 100)
        try:
            change = changes.for_wallet_order(account, f"FO{uuid.uuid4().hex[:8]}",
                                               charge if wallet else 0, points, self.now)
        except RuleViolation as refused:
            assert refused.code in ("INSUFFICIENT_BALANCE", "POINTS_INSUFFICIENT")
            return multiple()  # no order
        if change is None:  # paid through WeChat Pay, no points: nothing moves until fuelled
            order = Order(f"FO{uuid.uuid4().hex[:8]}", charge, False, 0, None)
        else:
            self._commit(change)
            order = Order(change.entries[0].ref, charge, wallet, points, change.spent)
        if fuelled:
            self.fuelled(order)
        return order

    @rule(order=orders, share=st.integers(1, 100))
    def refund(self, order, share):
        left = order.charge_fen - order.refunded_fen
        if left <= 0:
            return
        amount = max(1, left * share // 100)
        account = self._account()
        money = (changes.for_refund(account, order.id, order.spent, order.refunded_fen, amount,
                                     self.now) if order.wallet else None)
        points = points_changes.for_points_returned(money.after if money else account, order.id,
                                              order.points, order.charge_fen, order.refunded_fen,
                                              amount, self.now)
        takeback = None
        if order.earned:
            share = taken_back(order.earned_points, order.basis_fen, order.refunded_after_fen,
                               amount)
            latest = next((c.after for c in (points, money) if c is not None), account)
            takeback = for_points_taken_back(latest, order.id, share, self.now)
            order.refunded_after_fen += amount
            self.taken_back[order.id] = self.taken_back.get(order.id, 0) + share
            assert self.taken_back[order.id] <= order.earned_points
            if order.refunded_after_fen == order.basis_fen:
                assert self.taken_back[order.id] == order.earned_points
        self._commit(changes.combine(money, points, takeback))
        order.refunded_fen += amount

    @rule(order=orders)
    def fuelled(self, order):
        if order.earned:
            return
        order.earned = True
        order.basis_fen = order.charge_fen - order.refunded_fen  # refunds before it: left out
        order.earned_points = points_earned(order.basis_fen, RULES)
        self._commit(points_changes.for_points_earned(self._account(), order.id, order.basis_fen,
                                                self.now, RULES))

    @rule(days=st.integers(0, 400))
    def time_passes_and_points_expire(self, days):
        self.now += timedelta(days=days)
        self._commit(points_changes.for_points_expiry(self._account(), self.now))

    @invariant()
    def stored_figures_are_the_ledger_sums_and_the_chains_verify(self):
        account = self._account()
        for kind in KINDS:
            held = account.ledger_balance(kind)
            chain = store.read_chain(self.user_id, kind)
            assert sum(e.amount for e in chain) == held
            head = account.head(kind)
            assert verify_chain(chain, account_id=self.user_id, kind=kind,
                                expected_last_seq=head.seq, expected_balance=held,
                                expected_head_hash=head.hash if head.seq else None).ok
        assert 0 <= account.balance_fen <= CAP_FEN and account.points >= 0
        assert account.points_debt >= 0

    def teardown(self):
        chains = {kind: store.read_chain(self.user_id, kind) for kind in KINDS}
        kind = max(chains, key=lambda k: len(chains[k]))
        if not chains[kind]:
            return
        victim = chains[kind][len(chains[kind]) // 2]
        LedgerModel(f"{self.user_id}#{kind}", victim.seq).update(
            actions=[LedgerModel.amount.set(victim.amount + (1 if victim.amount < 0 else -1))])

        answer = self.client.http.get(f"/v1/staff/ledger/{self.user_id}/verify",
                                      headers=staff_auth(staff_principal("hq")))

        assert answer.status_code == 200
        report = answer.json_body
        assert report["ok"] is False and report[kind]["first_broken_seq"] == victim.seq
        assert all(report[other]["ok"] for other in KINDS if other != kind)


def test_a_random_run_keeps_the_ledger_and_the_account_in_step(client):
    LedgerMachine.client = client
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=15, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
