"""The order history table: (order_id, seq) items written once, never updated or deleted.

Events are only ever put inside the transaction that changes their order (store/orders.commit),
each conditional on not existing, so an entry can neither be lost nor written twice.
"""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.domain.orders.events import OrderEvent, OrderEventType
from chalicelib.domain.orders.orders import OrderStatus
from chalicelib.store.base import StageModel

MAX_EVENTS_READ = 1000


class OrderEventModel(StageModel):
    logical_name = "order-events"

    class Meta:
        pass

    order_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    type = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    status_before = UnicodeAttribute(null=True)
    status_after = UnicodeAttribute()
    amounts_before = MapAttribute(null=True)
    amounts_after = MapAttribute(null=True)
    provider_ids = MapAttribute(null=True)
    reason = UnicodeAttribute(null=True)


def _plain(value) -> dict:
    if value is None:
        return {}
    return value.as_dict() if isinstance(value, MapAttribute) else dict(value)


def to_model(event: OrderEvent) -> OrderEventModel:
    return OrderEventModel(
        event.order_id, event.seq, type=event.type, at=event.at, actor=event.actor,
        status_before=event.status_before, status_after=event.status_after,
        amounts_before=dict(event.amounts_before) or None,
        amounts_after=dict(event.amounts_after) or None,
        provider_ids={k: v for k, v in event.provider_ids.items() if v} or None,
        reason=event.reason)


def to_event(model: OrderEventModel) -> OrderEvent:
    return OrderEvent(
        order_id=model.order_id, seq=int(model.seq), type=OrderEventType(model.type), at=model.at,
        actor=model.actor, status_after=OrderStatus(model.status_after),
        status_before=None if model.status_before is None else OrderStatus(model.status_before),
        amounts_before={k: int(v) for k, v in _plain(model.amounts_before).items()},
        amounts_after={k: int(v) for k, v in _plain(model.amounts_after).items()},
        provider_ids={k: str(v) for k, v in _plain(model.provider_ids).items()},
        reason=model.reason)


def list_events(order_id: str) -> list[OrderEvent]:
    """The order's history, oldest first."""
    return [to_event(m) for m in OrderEventModel.query(order_id, consistent_read=True,
                                                         limit=MAX_EVENTS_READ)]
