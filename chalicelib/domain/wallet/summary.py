"""What a driver reads of the wallet at a moment: balance, points and their expiry, member level.

The summary holds the account and what the wallet service looked up for it (the 12-month spend,
the level table, the top-up bonus rule); everything else is worked out from those. The wallet
route shapes it into its answer (api/shapes.py), so the answer's fields are written once.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.wallet.accounts import Account
from chalicelib.domain.wallet.balance import BonusRule, room_fen
from chalicelib.domain.wallet.membership import Level, level_for, next_level
from chalicelib.domain.wallet.points import Lot


@dataclass(frozen=True)
class NextLevel:
    name: str
    spend_needed_fen: int


@dataclass(frozen=True)
class WalletSummary:
    account: Account
    at: datetime
    spend_12m_fen: int
    levels: Sequence[Level]
    bonus_rule: BonusRule | None

    @property
    def paid_fen(self) -> int:
        return self.account.paid_fen

    @property
    def bonus_fen(self) -> int:
        return self.account.bonus_fen

    @property
    def balance_fen(self) -> int:
        return self.account.balance_fen

    @property
    def topup_room_fen(self) -> int:
        return room_fen(self.account.balance)

    @property
    def points(self) -> int:
        return self.account.points_available(self.at)

    @property
    def points_expiring(self) -> list[Lot]:
        """One lot per expiry day, soonest first (bounded by the points lifetime in days)."""
        return self.account.live_lots(self.at)

    @property
    def points_debt(self) -> int:
        """Points refunds took back that were no longer held; the next earnings pay it first."""
        return self.account.points_debt

    @property
    def level(self) -> str | None:
        return level_for(self.spend_12m_fen, self.levels)

    @property
    def next_level(self) -> NextLevel | None:
        following = next_level(self.spend_12m_fen, self.levels)
        return NextLevel(*following) if following else None
