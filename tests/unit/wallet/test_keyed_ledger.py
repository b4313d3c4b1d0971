"""The keyed ledger (domain/wallet/ledger_keys.py): someone who can write the ledger and account
tables but cannot make a MAC with the ledger's KMS key rewrites a driver's balance chain AND the
account's head and balance so that every SHA-256 link still holds; hq's check says NOT OK.
Chains written before the key still verify, and their next change seals them."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from chalicelib.domain.wallet.ledger import next_entry, verify_chain
from chalicelib.domain.wallet import changes, points_changes
from chalicelib.domain.wallet.points import DEFAULT_RULES as RULES
from chalicelib.store.wallet import accounts as store
from chalicelib.store.wallet.accounts import AccountModel
from chalicelib.store.wallet.ledger import to_model
from tests.conftest import reset_caches
from tests.paystack import staff_auth, staff_principal

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)
TOPUP = "TU" + "C" * 26


def _make_ledger() -> str:
    user = f"u_{uuid.uuid4().hex}"
    account = store.commit_change(changes.for_topup(store.get_account(user), TOPUP, 100_000,
                                                     None, NOW))
    for n in range(3):
        account = store.commit_change(changes.for_wallet_order(account, f"FO{n}", 1_000, 0, NOW))
    return user


def _verify(client, user_id) -> dict:
    answer = client.http.get(f"/v1/staff/ledger/{user_id}/verify",
                             headers=staff_auth(staff_principal("hq")))
    assert answer.status_code == 200
    return answer.json_body


def _forge(user_id: str, seals: str) -> None:
    """With plain table access: the top-up becomes 5,000 yuan instead of 1,000, every later
    entry is recomputed so each hash and link holds, and the account's head, balance and
    paid money are set to match. `seals`: "keep" copies each stored MAC onto the forged entry,
    "strip" writes none."""
    stored = store.read_chain(user_id, "balance")
    forged, prev = [], None
    for index, entry in enumerate(stored):
        amount = entry.amount + (400_000 if index == 0 else 0)
        bonus_part = entry.bonus_after - (stored[index - 1].bonus_after if index else 0)
        prev = next_entry(prev, account_id=user_id, reason=entry.reason, amount=amount,
                          ref=entry.ref, at=datetime.fromisoformat(entry.at), bonus_part=bonus_part)
        forged.append(prev)
    assert verify_chain(forged, account_id=user_id, kind="balance").ok  # SHA-256 alone is fooled
    for entry, original in zip(forged, stored):
        model = to_model(entry)
        model.mac = original.mac if seals == "keep" else None
        model.save()  # an unconditional PutItem over the stored entry
    head = forged[-1]
    AccountModel(user_id).update(actions=[
        AccountModel.balance_hash.set(head.hash), AccountModel.paid_fen.set(head.paid_after),
        AccountModel.bonus_fen.set(head.bonus_after)])


@pytest.mark.parametrize("seals", ["keep", "strip"])
def test_a_chain_rewritten_with_the_account_head_is_not_ok(client, aws, seals):
    user_id = _make_ledger()
    assert _verify(client, user_id)["ok"] is True

    _forge(user_id, seals)
    report = _verify(client, user_id)

    assert report["ok"] is False
    balance = report["balance"]
    assert (balance["ok"], balance["first_broken_seq"]) == (False, 4)
    assert balance["account_balance"] == balance["balance"] == 497_000  # the figures add up...
    assert ("does not verify" if seals == "keep" else "not sealed") in balance["reason"]
    assert report["points"]["ok"] is True


def test_every_change_seals_the_heads_it_writes_and_only_those(aws):
    user_id = _make_ledger()
    account = store.get_account(user_id)
    store.commit_change(points_changes.for_points_earned(account, "FO0", 20_000, NOW, RULES))

    balance = store.read_chain(user_id, "balance")
    points = store.read_chain(user_id, "points")

    assert all(entry.mac for entry in balance + points)  # each change here moved one entry
    assert len({entry.mac for entry in balance}) == len(balance)


def test_a_head_sealed_for_another_place_does_not_verify(client, aws):
    user_id, other = _make_ledger(), _make_ledger()
    foreign = store.read_chain(other, "balance")[-1].mac
    head = store.read_chain(user_id, "balance")[-1]
    model = to_model(head)
    model.mac = foreign
    model.save()

    report = _verify(client, user_id)["balance"]

    assert (report["ok"], report["first_broken_seq"]) == (False, 4)


def test_a_chain_written_before_the_key_still_verifies_until_its_next_change_seals_it(
        client, aws, monkeypatch):
    monkeypatch.delenv("LEDGER_KEY_ID")
    reset_caches()
    user_id = _make_ledger()  # chain version 1: no seals
    assert not any(e.mac for e in store.read_chain(user_id, "balance"))
    monkeypatch.setenv("LEDGER_KEY_ID", "alias/fuel-local-ledger")
    reset_caches()
    assert _verify(client, user_id)["balance"]["ok"] is False  # unsealed heads are not trusted...

    monkeypatch.setenv("LEDGER_UNKEYED_BEFORE", "2026-12-06T00:00:00Z")
    reset_caches()
    legacy = _verify(client, user_id)["balance"]  # ...unless written before keyed writing began
    store.commit_change(changes.for_wallet_order(store.get_account(user_id), "FO9", 1_000, 0,
                                                  NOW))
    sealed = _verify(client, user_id)["balance"]

    assert (legacy["ok"], legacy["keyed"]) == (True, False)
    assert (sealed["ok"], sealed["keyed"], sealed["entries"]) == (True, True, 5)


def test_an_old_chain_whose_sealed_head_lost_its_seal_is_not_ok(
        client, aws, monkeypatch):
    monkeypatch.setenv("LEDGER_UNKEYED_BEFORE", "2026-12-06T00:00:00Z")
    reset_caches()
    user_id = _make_ledger()
    head = store.read_chain(user_id, "balance")[-1]
    model = to_model(head)
    model.mac = None
    model.save()

    report = _verify(client, user_id)["balance"]

    assert report["ok"] is False and "entry 3 is" in report["reason"]


def test_sealing_legacy_heads_makes_old_chains_verify_without_the_grace_and_skips_broken_ones(
        client, aws, monkeypatch):
    from chalicelib.services.wallet.ledger_sealing import seal_legacy_heads
    from chalicelib.store.wallet.accounts import LedgerModel

    monkeypatch.delenv("LEDGER_KEY_ID")
    reset_caches()
    intact, broken = _make_ledger(), _make_ledger()  # chain version 1: no seals
    LedgerModel(f"{broken}#balance", 2).update(actions=[LedgerModel.ref.set("FO-elsewhere")])
    monkeypatch.setenv("LEDGER_KEY_ID", "alias/fuel-local-ledger")
    reset_caches()

    first = seal_legacy_heads([intact, broken])
    again = seal_legacy_heads([intact, broken])

    assert (first["sealed"], first["empty"], first["broken"]) == (1, 2, [f"{broken}#balance"])
    assert (again["sealed"], again["already_sealed"]) == (0, 1)
    assert _verify(client, intact)["balance"] == {
        "ok": True, "entries": 4, "first_broken_seq": None, "reason": None, "balance": 97_000,
        "account_balance": 97_000, "keyed": True}
    assert _verify(client, broken)["balance"]["first_broken_seq"] == 2
