"""The ledger table `fuel-<stage>-ledger`: pk chain = "<user_id>#<kind>" (kind balance|points|points_debt),
sk seq; one item per domain/ledger.Entry, `at` stored as the exact text that was hashed. Items are
put once (conditional on not existing) inside the transaction of the change they record
(store/accounts.stage_change) and never updated. `mac` is the writer's seal on the heads a change
writes (domain/wallet/ledger_keys.py; absent on entries of chain version 1 and inside a change)."""
from __future__ import annotations

from collections.abc import Iterator

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.wallet.ledger import Entry
from chalicelib.store.base import StageModel


class LedgerModel(StageModel):
    logical_name = "ledger"

    class Meta:
        pass

    chain = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    account_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    reason = UnicodeAttribute()
    amount = NumberAttribute()
    balance_after = NumberAttribute()
    paid_after = NumberAttribute(null=True)
    bonus_after = NumberAttribute(null=True)
    ref = UnicodeAttribute()
    at = UnicodeAttribute()  # the exact text that was hashed
    prev_hash = UnicodeAttribute()
    entry_hash = UnicodeAttribute(attr_name="hash")
    mac = UnicodeAttribute(null=True)  # base64 HMAC-SHA-256, heads only


def chain_key(user_id: str, kind: str) -> str:
    return f"{user_id}#{kind}"


def to_model(entry: Entry) -> LedgerModel:
    return LedgerModel(chain_key(entry.account_id, entry.kind), entry.seq,
                       account_id=entry.account_id, kind=entry.kind, reason=entry.reason,
                       amount=entry.amount, balance_after=entry.balance_after,
                       paid_after=entry.paid_after, bonus_after=entry.bonus_after, ref=entry.ref,
                       at=entry.at, prev_hash=entry.prev_hash, entry_hash=entry.hash,
                       mac=entry.mac)


def _optional(value) -> int | None:
    return None if value is None else int(value)


def _to_entry(model: LedgerModel) -> Entry:
    return Entry(account_id=model.account_id, seq=int(model.seq), kind=model.kind,
                 reason=model.reason, amount=int(model.amount),
                 balance_after=int(model.balance_after), paid_after=_optional(model.paid_after),
                 bonus_after=_optional(model.bonus_after), ref=model.ref, at=model.at,
                 prev_hash=model.prev_hash, hash=model.entry_hash, mac=model.mac)


def list_entries(user_id: str, kind: str, limit: int,
                 cursor: int | None = None) -> tuple[list[Entry], int | None]:
    """A page of one chain, newest first, before seq `cursor` (None: from the newest).

    Answers (entries, next cursor); seqs have no gaps, so there is more exactly while the last
    entry given is not entry 1."""
    condition = LedgerModel.seq < cursor if cursor is not None else None
    entries = [_to_entry(m) for m in LedgerModel.query(
        chain_key(user_id, kind), condition, scan_index_forward=False, limit=limit)]
    more = len(entries) == limit and entries[-1].seq > 1
    return entries, entries[-1].seq if more else None


def read_chain(user_id: str, kind: str) -> list[Entry]:
    """Every entry of one chain as stored, in seq order (consistent reads)."""
    return list(_iter_chain(user_id, kind))


def _iter_chain(user_id: str, kind: str) -> Iterator[Entry]:
    for model in LedgerModel.query(chain_key(user_id, kind), consistent_read=True):
        yield _to_entry(model)
