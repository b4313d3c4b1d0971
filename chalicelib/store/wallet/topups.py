"""Top-ups: the table `fuel-<stage>-topups` and its indexes (infra/template.yaml).

- `by-user` (user_id, created_at): a driver's top-ups.
- `in-flight` (work_shard, due_at): sparse, only top-ups the minute schedule must look at
  (PENDING_PAYMENT until their expiry, REFUNDING at once); KEYS_ONLY, each is re-read.
- `by-paid-day` (paid_day = Asia/Shanghai date of paid_at, paid_at): sparse, paid top-ups, for
  the daily reconciliation with WeChat Pay's bill.

`commit(before, after, change)` writes a top-up's change conditional on its version, with an
account change in the same transaction when there is one: crediting a top-up and marking it PAID
happen together or not at all. StaleTopup: the top-up or the account moved first.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.domain.wallet.accounts import AccountChange
from chalicelib.domain.orders.ids import shard_of
from chalicelib.domain.orders.refunds import RefundStatus
from chalicelib.domain.wallet.topups import Topup, TopupStatus
from chalicelib.domain.times import business_day
from chalicelib.store.wallet import accounts as account_store
from chalicelib.store.base import StageModel, error_code, get_connection

SHARDS = 8
BATCH_GET_MAX = 100


class StaleTopup(Exception):
    """The top-up (or the account credited with it) changed since it was read; nothing written."""


class _ByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class _InFlight(GlobalSecondaryIndex):
    class Meta:
        index_name = "in-flight"
        projection = KeysOnlyProjection()

    work_shard = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class _ByPaidDay(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-paid-day"
        projection = AllProjection()

    paid_day = UnicodeAttribute(hash_key=True)
    paid_at = UTCDateTimeAttribute(range_key=True)


class TopupModel(StageModel):
    logical_name = "topups"

    class Meta:
        pass

    topup_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    openid = UnicodeAttribute()
    amount_fen = NumberAttribute()
    request_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    bonus_fen = NumberAttribute(default=0)
    transaction_id = UnicodeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    refund_status = UnicodeAttribute(null=True)
    refund_requested_at = UTCDateTimeAttribute(null=True)
    refunded_at = UTCDateTimeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    work_shard = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    paid_day = UnicodeAttribute(null=True)

    by_user = _ByUser()
    in_flight = _InFlight()
    by_paid_day = _ByPaidDay()


_FIELDS = ("user_id", "openid", "amount_fen", "request_hash", "created_at", "expires_at", "status",
           "bonus_fen", "transaction_id", "paid_at", "closed_at", "refund_status",
           "refund_requested_at", "refunded_at", "failure_reason")
_NUMBERS = ("amount_fen", "bonus_fen")


def to_model(topup: Topup, version: int) -> TopupModel:
    due = topup.due_at
    return TopupModel(
        topup.id, version=version, **{name: getattr(topup, name) for name in _FIELDS},
        work_shard=shard_of(topup.id, SHARDS) if due else None, due_at=due,
        paid_day=business_day(topup.paid_at).isoformat() if topup.paid_at else None)


def to_topup(model: TopupModel) -> Topup:
    values = {name: getattr(model, name) for name in _FIELDS}
    values.update({name: int(values[name] or 0) for name in _NUMBERS})
    values["status"] = TopupStatus(values["status"])
    if values["refund_status"] is not None:
        values["refund_status"] = RefundStatus(values["refund_status"])
    return Topup(id=model.topup_id, version=int(model.version or 0), **values)


def get_topup(topup_id: str) -> Topup | None:
    return TopupModel.get_or_none(topup_id, to_topup)


def create(topup: Topup) -> bool:
    """Put a new top-up (version 1); False when one with its id exists already."""
    try:
        to_model(topup, 1).save(condition=TopupModel.topup_id.does_not_exist())
    except PutError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def commit(before: Topup, after: Topup, change: AccountChange | None = None) -> Topup:
    """Write the top-up as `after` if it is still as `before` was read, and the account change
    in the same transaction. Answers the top-up as stored; raises StaleTopup."""
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.save(to_model(after, before.version + 1),
                    condition=TopupModel.version == before.version)
            if change is not None:
                account_store.stage_change(tx, change)
    except TransactWriteError as err:
        if account_store.is_stale(err):
            raise StaleTopup(str(err)) from err
        raise
    return replace(after, version=before.version + 1)


def due_topups(now, limit: int) -> list[str]:
    """Ids of top-ups due for the schedule (eventually consistent: re-read before acting)."""
    found: list[str] = []
    for shard in range(SHARDS):
        for model in TopupModel.in_flight.query(str(shard), TopupModel.due_at <= now,
                                                limit=limit - len(found)):
            found.append(model.topup_id)
        if len(found) >= limit:
            break
    return found


def paid_on(day: str) -> list[Topup]:
    """Top-ups paid on an Asia/Shanghai day ("YYYY-MM-DD")."""
    return [to_topup(model) for model in TopupModel.by_paid_day.query(day)]


def by_ids(topup_ids: Iterable[str]) -> dict[str, Topup]:
    wanted = sorted(set(topup_ids))
    found: dict[str, Topup] = {}
    for offset in range(0, len(wanted), BATCH_GET_MAX):
        for model in TopupModel.batch_get(wanted[offset:offset + BATCH_GET_MAX]):
            found[model.topup_id] = to_topup(model)
    return found
