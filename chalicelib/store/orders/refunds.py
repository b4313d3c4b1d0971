"""Refund records, keyed by out_refund_no, with a sparse index of those still PROCESSING.

The `in-flight` index holds a refund only while `in_flight_shard` is set (status PROCESSING); the
schedule reads it to follow refunds up until WeChat Pay gives a final answer. The shard spreads
the index's partition key so a busy day never makes one hot partition.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (BooleanAttribute, NumberAttribute, UnicodeAttribute,
                                 UTCDateTimeAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.domain.orders.ids import shard_of
from chalicelib.domain.orders.orders import PayMethod
from chalicelib.domain.orders.refunds import Refund, RefundKind, RefundStatus
from chalicelib.store.base import StageModel

SHARDS = 8


class InFlightIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "in-flight"
        projection = AllProjection()

    in_flight_shard = UnicodeAttribute(hash_key=True)
    requested_at = UTCDateTimeAttribute(range_key=True)


class RefundModel(StageModel):
    logical_name = "refunds"

    class Meta:
        pass

    out_refund_no = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    amount_fen = NumberAttribute()
    total_fen = NumberAttribute()
    reason = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    request_hash = UnicodeAttribute(null=True)
    refund_id = UnicodeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)  # absent on older records: WeChat Pay
    after_confirmation = BooleanAttribute(null=True)  # absent on older records
    in_flight_shard = UnicodeAttribute(null=True)
    in_flight = InFlightIndex()


def to_model(refund: Refund) -> RefundModel:
    return RefundModel(
        refund.out_refund_no, order_id=refund.order_id, kind=refund.kind,
        amount_fen=refund.amount_fen, total_fen=refund.total_fen, reason=refund.reason,
        requested_by=refund.requested_by, requested_at=refund.requested_at, status=refund.status,
        request_hash=refund.request_hash, refund_id=refund.refund_id,
        finished_at=refund.finished_at, failure_reason=refund.failure_reason,
        channel=refund.channel, after_confirmation=refund.after_confirmation,
        in_flight_shard=shard_of(refund.out_refund_no, SHARDS) if refund.in_flight else None)


def to_refund(model: RefundModel) -> Refund:
    return Refund(
        out_refund_no=model.out_refund_no, order_id=model.order_id, kind=RefundKind(model.kind),
        amount_fen=int(model.amount_fen), total_fen=int(model.total_fen), reason=model.reason,
        requested_by=model.requested_by, requested_at=model.requested_at,
        status=RefundStatus(model.status),
        request_hash=model.request_hash, refund_id=model.refund_id,
        finished_at=model.finished_at, failure_reason=model.failure_reason,
        channel=PayMethod(model.channel or PayMethod.WECHATPAY),  # absent on older records
        after_confirmation=model.after_confirmation)


def get_refund(out_refund_no: str) -> Refund | None:
    return RefundModel.get_or_none(out_refund_no, to_refund)


def refunds_in_flight(requested_before: datetime, limit: int) -> list[Refund]:
    """PROCESSING refunds requested before the given time, oldest first per shard."""
    found: list[Refund] = []
    for shard in range(SHARDS):
        for model in RefundModel.in_flight.query(
                str(shard), RefundModel.requested_at <= requested_before, limit=limit - len(found)):
            found.append(to_refund(model))
        if len(found) >= limit:
            break
    return found
