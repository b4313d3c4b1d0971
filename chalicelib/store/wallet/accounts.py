"""Accounts (`fuel-<stage>-accounts`, one item per user) and the one way an account changes; its
ledger (store/wallet/ledger.py) is read from here too (list_entries, read_chain).

`stage_change(tx, change)` adds an AccountChange to a caller's TransactWrite, so it commits with
the order or top-up it belongs to or not at all: the account put conditional on the version read
(or on not existing yet), and one put per ledger entry conditional on its (chain, seq) being new,
the last entry of each chain sealed with the ledger's key (domain/wallet/ledger_keys.py).
One version covers every chain: two changes built from the same read can never both commit.
`commit_change(change)` writes a change on its own; StaleAccount means the account moved first.

The sparse index `points-expiry` (expiry_shard, next_expiry_at) holds only accounts with points,
keyed by their soonest lot expiry, so the daily expiry run reads only accounts with lots due.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from pynamodb.attributes import (JSONAttribute, NumberAttribute, UnicodeAttribute,
                                 UTCDateTimeAttribute)
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.domain.wallet.accounts import Account, AccountChange, ChainHead
from chalicelib.domain.wallet.ledger import KINDS, utc_text
from chalicelib.domain.wallet.ledger_keys import heads_of, mac_message
from chalicelib.domain.orders.ids import shard_of
from chalicelib.domain.wallet.points import Lot
from chalicelib.providers import ledger_key
from chalicelib.store.wallet import ledger
from chalicelib.store.base import StageModel, get_connection
from chalicelib.store.wallet.ledger import LedgerModel, chain_key, list_entries, read_chain

__all__ = ["Account", "AccountChange", "StaleAccount", "LedgerModel", "get_account",
           "get_monthly_spend", "stage_change", "commit_change", "list_entries", "read_chain",
           "chain_key", "accounts_with_points_due"]

SHARDS = 8
_STALE = {"ConditionalCheckFailed", "TransactionConflict"}


class StaleAccount(Exception):
    """The account (or one of the entries' seqs) changed since it was read; nothing was written.
    Read the account again, build the change again, and retry."""


class _PointsExpiry(GlobalSecondaryIndex):
    class Meta:
        index_name = "points-expiry"
        projection = KeysOnlyProjection()

    expiry_shard = UnicodeAttribute(hash_key=True)
    next_expiry_at = UTCDateTimeAttribute(range_key=True)


class AccountModel(StageModel):
    logical_name = "accounts"

    class Meta:
        pass

    user_id = UnicodeAttribute(hash_key=True)
    paid_fen = NumberAttribute(default=0)
    bonus_fen = NumberAttribute(default=0)
    points = NumberAttribute(default=0)  # sum of the lots, for people reading the table
    lots = JSONAttribute(null=True)  # [[ref, earned_at, expires_at, points], ...]
    redemptions = JSONAttribute(null=True)  # {order_id: [[ref, earned_at, expires_at, points]]}
    monthly_spend = JSONAttribute(null=True)  # {"YYYY-MM": fen}
    balance_seq = NumberAttribute(default=0)
    balance_hash = UnicodeAttribute(null=True)
    points_seq = NumberAttribute(default=0)
    points_hash = UnicodeAttribute(null=True)
    points_debt = NumberAttribute(default=0)  # absent on older items: no debt
    debt_seq = NumberAttribute(default=0)
    debt_hash = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    expiry_shard = UnicodeAttribute(null=True)
    next_expiry_at = UTCDateTimeAttribute(null=True)
    points_expiry = _PointsExpiry()


# --- lots as compact JSON --------------------------------------------------------------------
def _lot_row(lot: Lot) -> list:
    return [lot.ref, utc_text(lot.earned_at), utc_text(lot.expires_at), lot.points]


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _lot(row: list) -> Lot:
    ref, earned, expires, points = row
    return Lot(ref, _time(earned), _time(expires), int(points))


# --- accounts --------------------------------------------------------------------------------
def _to_account(model: AccountModel) -> Account:
    def head(seq, digest) -> ChainHead:
        return ChainHead(int(seq or 0), digest) if seq else ChainHead()
    return Account(
        user_id=model.user_id, paid_fen=int(model.paid_fen or 0), bonus_fen=int(model.bonus_fen or 0),
        lots=tuple(_lot(row) for row in model.lots or ()),
        balance_head=head(model.balance_seq, model.balance_hash),
        points_head=head(model.points_seq, model.points_hash),
        points_debt=int(model.points_debt or 0), debt_head=head(model.debt_seq, model.debt_hash),
        monthly_spend={month: int(fen) for month, fen in (model.monthly_spend or {}).items()},
        redemptions={order: tuple(_lot(row) for row in rows)
                     for order, rows in (model.redemptions or {}).items()},
        version=int(model.version or 0))


def _to_model(account: Account, version: int) -> AccountModel:
    expiry = account.next_expiry
    return AccountModel(
        account.user_id, paid_fen=account.paid_fen, bonus_fen=account.bonus_fen,
        points=account.points, lots=[_lot_row(lot) for lot in account.lots],
        redemptions={order: [_lot_row(lot) for lot in parts]
                     for order, parts in account.redemptions.items()},
        monthly_spend=dict(account.monthly_spend),
        balance_seq=account.balance_head.seq,
        balance_hash=account.balance_head.hash if account.balance_head.seq else None,
        points_seq=account.points_head.seq,
        points_hash=account.points_head.hash if account.points_head.seq else None,
        points_debt=account.points_debt, debt_seq=account.debt_head.seq,
        debt_hash=account.debt_head.hash if account.debt_head.seq else None,
        version=version, expiry_shard=shard_of(account.user_id, SHARDS) if expiry else None,
        next_expiry_at=expiry)


def get_account(user_id: str) -> Account:
    """The account as stored (consistent read), or an empty one (version 0) if none is."""
    try:
        return _to_account(AccountModel.get(user_id, consistent_read=True))
    except AccountModel.DoesNotExist:
        return Account(user_id=user_id)


def read(user_id: str):
    """A batch read (store/batch.py) of the account: get_account's answer."""
    from chalicelib.store.batch import Read

    return Read(AccountModel, user_id, lambda model: Account(user_id=user_id) if model is None
                else _to_account(model))


def get_monthly_spend(user_id: str) -> dict[str, int]:
    """Only the monthly spend (one eventually consistent GetItem of one attribute)."""
    try:
        model = AccountModel.get(user_id, attributes_to_get=["user_id", "monthly_spend"])
    except AccountModel.DoesNotExist:
        return {}
    return {month: int(fen) for month, fen in (model.monthly_spend or {}).items()}


def _check(change: AccountChange) -> None:
    """Refuse a change whose entries do not continue the chains from `before` to `after`."""
    before, after = change.before, change.after
    if before.user_id != after.user_id:
        raise ValueError("an account change stays on one account")
    for kind in KINDS:
        seqs = [e.seq for e in change.entries if e.kind == kind]
        first = before.head(kind).seq + 1
        if seqs != list(range(first, first + len(seqs))):
            raise ValueError(f"the {kind} entries do not continue the chain at seq {first}")
        last = next((e for e in reversed(change.entries) if e.kind == kind), None)
        wanted = ChainHead(last.seq, last.hash) if last else before.head(kind)
        if after.head(kind) != wanted or any(e.account_id != after.user_id for e in change.entries):
            raise ValueError(f"the account's {kind} head is not the change's last entry")


def stage_change(tx: TransactWrite, change: AccountChange) -> None:
    """Add the change to the caller's transaction: the account (as `change.after`, version
    `before.version + 1`) conditional on still being at `before.version` (or absent when
    `before.version` is 0), and each ledger entry conditional on its (chain, seq) not existing,
    the last of each chain carrying its MAC (one KMS call per chain the change moves).
    Raises ValueError for a change whose entries do not continue the account's chains."""
    _check(change)
    before = change.before
    condition = (AccountModel.user_id.does_not_exist() if before.version == 0
                 else AccountModel.version == before.version)
    tx.save(_to_model(change.after, before.version + 1), condition=condition)
    heads = heads_of(change.entries)
    for index, entry in enumerate(change.entries):
        if index in heads:
            entry = replace(entry, mac=ledger_key.sign(mac_message(entry)))
        tx.save(ledger.to_model(entry), condition=LedgerModel.chain.does_not_exist())


def commit_change(change: AccountChange) -> Account:
    """Write one change on its own; answers the account as stored. Raises StaleAccount."""
    try:
        with TransactWrite(connection=get_connection()) as tx:
            stage_change(tx, change)
    except TransactWriteError as err:
        if is_stale(err):
            raise StaleAccount(str(err)) from err
        raise
    return replace(change.after, version=change.before.version + 1)


def is_stale(err: TransactWriteError) -> bool:
    """A transaction cancelled by a condition or a concurrent transaction (retry on fresh reads)."""
    codes = {r.code for r in (err.cancellation_reasons or []) if r is not None}
    return bool(codes) and codes <= _STALE | {"None"}


def accounts_with_points_due(now: datetime, limit: int) -> list[str]:
    """Users whose soonest lot expiry has come (eventually consistent: re-read before acting)."""
    found: list[str] = []
    for shard in range(SHARDS):
        for model in AccountModel.points_expiry.query(
                str(shard), AccountModel.next_expiry_at <= now, limit=limit - len(found)):
            found.append(model.user_id)
        if len(found) >= limit:
            break
    return found
