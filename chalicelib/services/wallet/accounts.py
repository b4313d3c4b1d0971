"""Writing an account change on fresh reads: the builders (domain/wallet/changes.py and
points_changes.py) are pure; this retries one on the account as stored after a lost race."""
from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.errors import Conflict
from chalicelib.domain.wallet.accounts import Account, AccountChange
from chalicelib.store.retries import retry_lost_writes
from chalicelib.store.wallet import accounts as store


def change_account(user_id: str, build: Callable[[Account], AccountChange | None]
                   ) -> AccountChange | None:
    """Build on the account as stored and commit, again on fresh reads after a lost race.
    Answers the change written (None: nothing to do); Conflict ACCOUNT_BUSY if it kept losing."""
    def attempt(_: int) -> AccountChange | None:
        change = build(store.get_account(user_id))
        if change is not None:
            store.commit_change(change)
        return change
    return retry_lost_writes(attempt, store.StaleAccount, busy=Conflict(
        "the account is being changed by someone else; try again", code="ACCOUNT_BUSY"))
