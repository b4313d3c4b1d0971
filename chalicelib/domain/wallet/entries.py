"""What every account change builder shares: entries that continue a chain, and the change that
checks the ledger and the account tell the same story."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.wallet.accounts import Account, AccountChange, head_entry, tidy, with_entries
from chalicelib.domain.wallet.ledger import BALANCE, KINDS, Entry, next_entry


def entries_for(account: Account, kind: str, ref: str, at: datetime,
                steps: Iterable[tuple[str, int, int]]) -> tuple[Entry, ...]:
    """Entries continuing the account's chain of `kind`: (reason, amount, bonus part) each."""
    prev, made = head_entry(account, kind), []
    for reason, amount, bonus_part in steps:
        if amount:
            prev = next_entry(prev, account_id=account.user_id, reason=reason, amount=amount,
                              ref=ref, at=at, bonus_part=bonus_part)
            made.append(prev)
    return tuple(made)


def change_of(before: Account, after: Account, entries: tuple[Entry, ...], at: datetime,
              **facts) -> AccountChange:
    """The change from `before` to `after` (chain heads moved to the entries, old records tidied,
    version + 1); ValueError if the entries and the account disagree (a builder's bug)."""
    after = replace(tidy(with_entries(after, entries), at), version=before.version + 1)
    for kind in KINDS:  # the ledger and the account must tell the same story
        last = next((e for e in reversed(entries) if e.kind == kind), None)
        if last is not None and last.balance_after != after.ledger_balance(kind):
            raise ValueError(f"the {kind} entries end at {last.balance_after}, the account at "
                             f"{after.ledger_balance(kind)}")
        if last is not None and kind == BALANCE and (last.paid_after, last.bonus_after) != (
                after.paid_fen, after.bonus_fen):
            raise ValueError("the balance entries and the account split paid/bonus differently")
    return AccountChange(before, after, entries, **facts)
