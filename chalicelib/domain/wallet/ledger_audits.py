"""What hq's check of one account's ledger finds (services/wallet/ledger_audit.py): per chain,
its entries recomputed and held against the account item; the staff ledger route shapes these
into its answer (api/shapes.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.domain.wallet.accounts import Account
from chalicelib.domain.wallet.ledger import BALANCE, Entry, verify_chain


@dataclass(frozen=True, slots=True)
class ChainAudit:
    ok: bool
    entries: int
    first_broken_seq: int | None  # the first entry that does not verify (or is missing)
    reason: str | None
    balance: int  # the running balance of the entries that verified
    account_balance: int  # what the account item holds
    keyed: bool = False  # its head's seal was looked at and the chain is a sealed one


@dataclass(frozen=True, slots=True)
class LedgerAudit:
    user_id: str
    balance: ChainAudit
    points: ChainAudit
    points_debt: ChainAudit

    @property
    def ok(self) -> bool:
        return self.balance.ok and self.points.ok and self.points_debt.ok


def chain_audit(account: Account, kind: str, entries: Sequence[Entry]) -> ChainAudit:
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
    return ChainAudit(ok, len(entries), first_broken, reason, check.balance, held)
