"""The notifier Lambda, thin like the API views: each SQS record is one notification event.

Records are handled side by side (the work waits on DynamoDB and WeChat); those that must come
again (RetryLater, or anything unexpected) are answered in `batchItemFailures` (the event source
mapping has ReportBatchItemFailures, see infra/package.py) and, after the queue's
maxReceiveCount, wait in the dead-letter queue whose alarm fires.
"""
from __future__ import annotations

import json

from chalicelib.jobs.batches import handle_batch
from chalicelib.observability import get_logger

MAX_PARALLEL = 10


def handle_messages(event) -> dict:
    return handle_batch(event, _handle, parallel=MAX_PARALLEL)


def _handle(record) -> str | None:
    """None when the record is done with, else its messageId (to be delivered again)."""
    from chalicelib.services.notifications.sender import RetryLater, deliver

    message_id = record.to_dict()["messageId"]
    try:
        body = json.loads(record.body)
    except ValueError:
        get_logger().error("notification message is not JSON", extra={"message_id": message_id})
        return None  # no retry can fix it
    try:
        deliver(body)
    except RetryLater:
        return message_id
    except Exception:  # noqa: BLE001 - report this record, go on with the others
        get_logger().exception("notification message failed", extra={"message_id": message_id})
        return message_id
    return None
