"""The price-drop fan-out Lambda, thin like the API views (the work is services/alerts.fan_out).

Each record is handled on its own; a failed one is answered in `batchItemFailures` (the event
source mapping has ReportBatchItemFailures, added by infra/package.py) and delivered again. A
redelivery is harmless: the events it hands the notifier carry the same ids as before, and the
notifier sends each id once. After the queue's maxReceiveCount a record waits in the
dead-letter queue, whose alarm fires.
"""
from __future__ import annotations

import json

from chalicelib.jobs.batches import handle_batch
from chalicelib.observability import get_logger


def handle_messages(event) -> dict:
    return handle_batch(event, _handle)


def _handle(record) -> str | None:
    """None when the record was handled, else its messageId (to be delivered again)."""
    from chalicelib.services.notifications.price_alerts import fan_out

    message_id = record.to_dict()["messageId"]
    try:
        message = json.loads(record.body)
        if not isinstance(message, dict):
            raise ValueError("a fan-out message is a JSON object")
        handed_over = fan_out(message)
    except Exception:  # noqa: BLE001 - report this record, go on with the others
        get_logger().exception("alert fan-out message failed", extra={"message_id": message_id})
        return message_id
    get_logger().info("alert fan-out message handled",
                      extra={"station_id": message.get("station_id"), "events": handed_over})
    return None
