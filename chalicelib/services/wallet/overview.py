"""What a driver reads of the wallet: balance, points with their expiry, level, and the ledger."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.wallet.summary import WalletSummary
from chalicelib.services.wallet import membership
from chalicelib.services.wallet.rules import bonus_rule, member_levels
from chalicelib.store.wallet import accounts as store


def wallet_summary(user_id: str, now: datetime) -> WalletSummary:
    account = store.get_account(user_id)
    return WalletSummary(account, now, membership.spend_12m(account, now), member_levels(),
                         bonus_rule())


def entries_page(user_id: str, kind: str, limit: int, cursor: str | None) -> dict:
    """{"items": entries, "next_cursor"}: a page of the driver's balance or points movements,
    newest first."""
    position = None
    if cursor is not None:
        if not cursor.isdigit() or not 1 <= int(cursor) < 10 ** 12:
            raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                               field="cursor")
        position = int(cursor)
    entries, following = store.list_entries(user_id, kind, limit, position)
    return {"items": entries,
            "next_cursor": str(following) if following is not None else None}
