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
from dataclasses import replace

from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.identity.roles import Role
from chalicelib.domain.wallet.ledger import KINDS
from chalicelib.domain.wallet.ledger_audits import ChainAudit, LedgerAudit, chain_audit
from chalicelib.domain.wallet.ledger_keys import head_seal, mac_message
from chalicelib.providers import ledger_key
from chalicelib.settings import get_settings
from chalicelib.store.wallet import accounts as store

AUDIT_ROLES = (Role.HQ,)
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def verify_account(staff, user_id: str) -> LedgerAudit:
    if staff.role not in AUDIT_ROLES:
        raise Forbidden("only hq can verify a ledger", code="ROLE_NOT_ALLOWED")
    if not USER_ID.fullmatch(user_id):
        raise InvalidInput("user_id is not a user id", code="USER_ID_INVALID", field="user_id")
    account = store.get_account(user_id)
    return LedgerAudit(user_id, **{kind: _verify(account, kind) for kind in KINDS})


def _verify(account, kind: str) -> ChainAudit:
    entries = store.read_chain(account.user_id, kind)
    audit = chain_audit(account, kind, entries)
    seal = head_seal(entries, get_settings().ledger_unkeyed_before)
    if audit.ok and seal.problem:
        audit = replace(audit, ok=False, first_broken_seq=entries[-1].seq, reason=seal.problem)
    elif audit.ok and seal.head and not ledger_key.verify(mac_message(seal.head), seal.head.mac):
        audit = replace(audit, ok=False, first_broken_seq=seal.head.seq,
                        reason=f"entry {seal.head.seq}'s seal does not verify: the chain up to "
                               "it is not what its writer sealed")
    return replace(audit, keyed=seal.keyed)
