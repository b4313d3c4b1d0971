"""What a driver reads of the wallet: balance, points with their expiry, level, and the ledger."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.wallet.ledger import BALANCE, Entry
from chalicelib.domain.wallet.balance import room_fen
from chalicelib.domain import times
from chalicelib.services.wallet import membership
from chalicelib.services.wallet.rules import bonus_rule
from chalicelib.store.wallet import accounts as store


def wallet_view(user_id: str, now: datetime) -> dict:
    account = store.get_account(user_id)
    following = membership.next_level_of(account, now)
    rule = bonus_rule()
    return {
        "paid_fen": account.paid_fen, "bonus_fen": account.bonus_fen,
        "balance_fen": account.balance_fen, "topup_room_fen": room_fen(account.balance),
        "bonus_rule": {"every_fen": rule.every_fen, "bonus_fen": rule.bonus_fen} if rule else None,
        "points": account.points_available(now),
        # One lot per expiry day, soonest first (bounded by the points lifetime in days).
        "points_expiring": [{"points": lot.points, "expires_at": times.iso_z(lot.expires_at)}
                            for lot in account.live_lots(now)],
        "points_debt": account.points_debt,
        "level": membership.member_level(account, now),
        "next_level": {"name": following[0], "spend_needed_fen": following[1]} if following else None,
        "spend_12m_fen": membership.spend_12m(account, now),
    }


def entry_view(entry: Entry) -> dict:
    view = {"seq": entry.seq, "reason": entry.reason, "amount": entry.amount,
            "balance_after": entry.balance_after, "ref": entry.ref, "at": entry.at}
    if entry.kind == BALANCE:
        view.update(paid_after=entry.paid_after, bonus_after=entry.bonus_after)
    return view


def entries_page(user_id: str, kind: str, limit: int, cursor: str | None) -> dict:
    """A page of the driver's balance or points movements, newest first."""
    position = None
    if cursor is not None:
        if not cursor.isdigit() or not 1 <= int(cursor) < 10 ** 12:
            raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                               field="cursor")
        position = int(cursor)
    entries, following = store.list_entries(user_id, kind, limit, position)
    return {"items": [entry_view(e) for e in entries],
            "next_cursor": str(following) if following is not None else None}
