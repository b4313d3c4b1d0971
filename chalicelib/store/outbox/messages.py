"""The outbox: `fuel-<stage>-outbox`, one item per queue message a committed change still owes.

`stage(tx, messages)` puts them in the caller's TransactWrite, with the change that causes
them; `delete(ids)` takes them out once SQS has them. What is left is pending: `pending_page`
pages through it (a Scan: the table holds only what is owed, a handful of items unless SQS is
down) for the sweeper.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.domain.outbox.messages import OutboxMessage, OutboxQueue
from chalicelib.store.base import StageModel


class OutboxModel(StageModel):
    logical_name = "outbox"

    class Meta:
        pass

    message_id = UnicodeAttribute(hash_key=True)
    queue = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


def _to_model(message: OutboxMessage) -> OutboxModel:
    return OutboxModel(message.id, queue=str(message.queue), body=message.body,
                       created_at=message.created_at)


def _to_message(model: OutboxModel) -> OutboxMessage:
    return OutboxMessage(model.message_id, OutboxQueue(model.queue), model.body, model.created_at)


def stage(tx, messages: list[OutboxMessage]) -> None:
    """Add the messages to a TransactWrite (each id is fresh: the put cannot clash)."""
    for message in messages:
        tx.save(_to_model(message), condition=OutboxModel.message_id.does_not_exist())


def delete(message_ids: list[str]) -> None:
    """Forget messages SQS has taken (BatchWriteItem, 25 a call; an id already gone is fine)."""
    if not message_ids:
        return
    with OutboxModel.batch_write() as batch:
        for message_id in message_ids:
            batch.delete(OutboxModel(message_id))


def pending_page(created_before: datetime, limit: int,
                 start: dict | None = None) -> tuple[list[OutboxMessage], dict | None]:
    """Up to `limit` items read of the pending messages, those created before the moment;
    and where the next page starts (None: the table was read to its end)."""
    result = OutboxModel.scan(OutboxModel.created_at < created_before, limit=limit,
                              last_evaluated_key=start, consistent_read=True)
    messages = [_to_message(model) for model in result]
    return messages, result.last_evaluated_key
