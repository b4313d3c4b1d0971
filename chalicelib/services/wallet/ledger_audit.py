"""hq's check of one account's ledger: every chain recomputed from the stored entries and held
against what the account item says (its chain heads and balances), the first broken link named.

An edited entry fails its own hash, a deleted one leaves a gap, a rewritten hash breaks the next
link, a truncated tail or a rewritten suffix shows against the account's head, and a balance
changed on the account alone shows against the ledger's sum (and, for money, its paid/bonus split).
Then the head's seal (domain/wallet/ledger_keys.py): a chain rewritten together with the account's
head, by anyone who can write the tables but cannot make a MAC with the ledger's key, fails here.
"""
from __future__ import annotations

import re

from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.identity.roles import Role
from chalicelib.domain.wallet.ledger import BALANCE, KINDS, verify_chain
from chalicelib.domain.wallet.ledger_keys import head_seal, mac_message
from chalicelib.providers import ledger_key
from chalicelib.settings import get_settings
from chalicelib.store.wallet import accounts as store

AUDIT_ROLES = (Role.HQ,)
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def verify_account(staff, user_id: str) -> dict:
    if staff.role not in AUDIT_ROLES:
        raise Forbidden("only hq can verify a ledger", code="ROLE_NOT_ALLOWED")
    if not USER_ID.fullmatch(user_id):
        raise InvalidInput("user_id is not a user id", code="USER_ID_INVALID", field="user_id")
    account = store.get_account(user_id)
    chains = {kind: _verify(account, kind) for kind in KINDS}
    return {"user_id": user_id, "ok": all(c["ok"] for c in chains.values()), **chains}


def _verify(account, kind: str) -> dict:
    entries = store.read_chain(account.user_id, kind)
    report = chain_report(account, kind, entries)
    seal = head_seal(entries, get_settings().ledger_unkeyed_before)
    if report["ok"] and seal.problem:
        report.update(ok=False, first_broken_seq=entries[-1].seq, reason=seal.problem)
    elif report["ok"] and seal.head and not ledger_key.verify(mac_message(seal.head),
                                                              seal.head.mac):
        report.update(ok=False, first_broken_seq=seal.head.seq,
                      reason=f"entry {seal.head.seq}'s seal does not verify: the chain up to it "
                             "is not what its writer sealed")
    return {**report, "keyed": seal.keyed}


def chain_report(account, kind: str, entries) -> dict:
    """The chain's hashes, links and sums held against the account (seals not looked at)."""
    head = account.head(kind)
    held = account.ledger_balance(kind)
    check = verify_chain(entries, account_id=account.user_id, kind=kind,
                         expected_last_seq=head.seq,
                         expected_head_hash=head.hash if head.seq else None,
                         expected_balance=held)
    ok, first_broken, reason = check.ok, check.first_broken_seq, check.reason
    if ok and kind == BALANCE and (check.paid_fen, check.bonus_fen) != (account.paid_fen,
                                                                       account.bonus_fen):
        ok, first_broken = False, check.last_seq + 1
        reason = (f"the account holds paid {account.paid_fen} / bonus {account.bonus_fen}, the "
                  f"ledger {check.paid_fen} / {check.bonus_fen}")
    return {"ok": ok, "entries": len(entries), "first_broken_seq": first_broken, "reason": reason,
            "balance": check.balance, "account_balance": held}
