"""A driver's account as one value: the balance (paid and bonus money), the points lots, the points
debt, the heads of the three ledger chains (balance, points, points_debt), the monthly spend for
member levels, and the version that orders changes.

An account changes only as an AccountChange: the account as read (`before`), the account as it
will be (`after`) and the ledger entries that record the movement, written together (the store
puts `after` conditional on `before.version` and each entry conditional on its seq being new).

Points lots are kept on the account. Each lot's expiry is rounded up to the end of its Asia/Shanghai
day and lots expiring the same day are merged, so an account holds at most one lot per day of the
points lifetime (366 for the default 365 days). `redemptions` remembers which lot parts each order
took, so a refund gives points back to the lots (and expiries) they came from; a record is dropped
once the order is fully refunded or every part of it has expired (it could return nothing then).

`points_debt` is what refunds took back of earned points that were no longer held (spent or
expired): never negative points, a debt the next earnings pay off first (points_debt.py).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from chalicelib.domain.wallet.ledger import BALANCE, GENESIS_HASH, POINTS, POINTS_DEBT, Entry
from chalicelib.domain.wallet.points import Lot, available_points, live_lots
from chalicelib.domain.times import SHANGHAI
from chalicelib.domain.wallet.balance import Balance, Split

SPEND_MONTHS_KEPT = 14  # the 13 calendar months a 12-month window can touch, and one spare
_HEADS = {BALANCE: "balance_head", POINTS: "points_head", POINTS_DEBT: "debt_head"}


@dataclass(frozen=True)
class ChainHead:
    """The last entry of one ledger chain as the account knows it (seq 0: no entry yet)."""

    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True)
class Account:
    user_id: str
    paid_fen: int = 0
    bonus_fen: int = 0
    lots: tuple[Lot, ...] = ()  # every lot with points, expired ones until the expiry run
    balance_head: ChainHead = ChainHead()
    points_head: ChainHead = ChainHead()
    points_debt: int = 0  # points taken back by refunds that were no longer held
    debt_head: ChainHead = ChainHead()
    monthly_spend: Mapping[str, int] = field(default_factory=dict)  # "YYYY-MM" (Shanghai) -> fen
    redemptions: Mapping[str, tuple[Lot, ...]] = field(default_factory=dict)  # order id -> taken
    version: int = 0  # 0: never stored

    @property
    def balance(self) -> Balance:
        return Balance(self.paid_fen, self.bonus_fen)

    @property
    def balance_fen(self) -> int:
        return self.paid_fen + self.bonus_fen

    @property
    def points(self) -> int:
        """Points held, expired lots included until the expiry run writes them off: this is what
        the points ledger sums to."""
        return sum(lot.points for lot in self.lots)

    def points_available(self, now: datetime) -> int:
        """Points that can be redeemed now (unexpired lots)."""
        return available_points(self.lots, now)

    def live_lots(self, now: datetime) -> list[Lot]:
        return live_lots(self.lots, now)

    @property
    def next_expiry(self) -> datetime | None:
        return min((lot.expires_at for lot in self.lots if lot.points > 0), default=None)

    def head(self, kind: str) -> ChainHead:
        return getattr(self, _HEADS[kind])

    def ledger_balance(self, kind: str) -> int:
        """What the chain of `kind` must sum to."""
        return {BALANCE: self.balance_fen, POINTS: self.points, POINTS_DEBT: self.points_debt}[kind]


@dataclass(frozen=True)
class AccountChange:
    """One change of one account: write `after` (conditional on `before.version`) and `entries`.

    Facts a caller records on its own item (an order) ride along:
    - spent: what a wallet debit took from each bucket (paid first), for later refunds;
    - payout_fen / bonus_forfeited_fen: refunded money that no longer fits under the cap
      (paid money the caller must pay out; bonus money that is lost);
    - bonus_forgone_fen: bonus a top-up earned beyond the cap (not credited).
    """

    before: Account
    after: Account
    entries: tuple[Entry, ...] = ()
    spent: Split | None = None
    payout_fen: int = 0
    bonus_forfeited_fen: int = 0
    bonus_forgone_fen: int = 0


def head_entry(account: Account, kind: str) -> Entry | None:
    """The chain's last entry as `ledger.next_entry` needs it (its seq, hash and running figures),
    rebuilt from the account's head; None for an empty chain. Only those fields are meaningful."""
    head = account.head(kind)
    if head.seq == 0:
        return None
    balance = kind == BALANCE
    return Entry(account_id=account.user_id, seq=head.seq, kind=kind, reason="", amount=0,
                 balance_after=account.ledger_balance(kind),
                 paid_after=account.paid_fen if balance else None,
                 bonus_after=account.bonus_fen if balance else None,
                 ref="", at="", prev_hash="", hash=head.hash)


def with_entries(account: Account, entries: Iterable[Entry]) -> Account:
    """The account with its chain heads moved to the last entry of each kind."""
    for entry in entries:
        account = replace(account, **{_HEADS[entry.kind]: ChainHead(entry.seq, entry.hash)})
    return account


def day_end(moment: datetime) -> datetime:
    """The end of moment's Asia/Shanghai day (the next midnight there), where lots expire."""
    day = moment.astimezone(SHANGHAI).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def add_lots(lots: Iterable[Lot], parts: Iterable[Lot]) -> tuple[Lot, ...]:
    """Lots with `parts` added: a part joins the lot of the same expiry (keeping the earliest
    earning's ref and time), or becomes a lot of its own. Sorted by expiry; empty lots dropped."""
    by_expiry: dict[datetime, Lot] = {}
    for lot in [*lots, *parts]:
        if lot.points <= 0:
            continue
        held = by_expiry.get(lot.expires_at)
        if held is None:
            by_expiry[lot.expires_at] = lot
        else:
            first = held if (held.earned_at, held.ref) <= (lot.earned_at, lot.ref) else lot
            by_expiry[lot.expires_at] = replace(first, points=held.points + lot.points)
    return tuple(by_expiry[key] for key in sorted(by_expiry))


def month_of(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def month_end(month: str) -> datetime:
    """The last instant of a "YYYY-MM" month in Asia/Shanghai."""
    year, number = int(month[:4]), int(month[5:7])
    first_next = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SHANGHAI)
    return first_next - timedelta(microseconds=1)


def recent_months(spend: Mapping[str, int], now: datetime) -> dict[str, int]:
    """The spend map without months too old to count for any window (bounded size)."""
    local = now.astimezone(SHANGHAI)
    index = local.year * 12 + local.month - 1 - (SPEND_MONTHS_KEPT - 1)
    oldest = f"{index // 12:04d}-{index % 12 + 1:02d}"
    return {m: spend[m] for m in sorted(spend) if m >= oldest and spend[m] > 0}


def tidy(account: Account, now: datetime) -> Account:
    """Drop what can no longer matter: old spend months, redemptions whose lots all expired."""
    redemptions = {order: parts for order, parts in account.redemptions.items()
                   if any(now < part.expires_at for part in parts)}
    return replace(account, monthly_spend=recent_months(account.monthly_spend, now),
                   redemptions=redemptions)
