"""The invoice Lambdas, thin like the API views: the SQS worker and the minute sweeper.

The worker handles each record on its own and answers the failed ones in `batchItemFailures`
(the event source mapping has ReportBatchItemFailures, added by infra/package.py), so one bad
message is retried alone and, after the queue's maxReceiveCount, lands in the dead-letter queue
whose alarm fires. Issuer trouble is not such a failure: the invoice records it and the sweeper
tries again on its schedule.
"""
from __future__ import annotations

import json

from chalicelib.jobs.batches import handle_batch
from chalicelib.observability import get_logger

MAX_PARALLEL = 10


def invoice_id_of(body: str) -> str:
    message = json.loads(body)
    invoice_id = message.get("invoice_id") if isinstance(message, dict) else None
    if not isinstance(invoice_id, str) or not invoice_id:
        raise ValueError("message without invoice_id")
    return invoice_id


def handle_messages(event) -> dict:
    """Advance each record's invoice, the records of a batch side by side (the work waits on
    DynamoDB, the issuer, S3 and SMTP far more than it computes)."""
    return handle_batch(event, _handle, parallel=MAX_PARALLEL)


def _handle(record) -> str | None:
    """None when the record was handled, else its messageId (to be delivered again)."""
    from chalicelib.services.invoices.work import advance

    message_id = record.to_dict()["messageId"]
    try:
        invoice_id = invoice_id_of(record.body)
        status = advance(invoice_id)
    except Exception:  # noqa: BLE001 - report this record, go on with the others
        get_logger().exception("invoice message failed", extra={"message_id": message_id})
        return message_id
    get_logger().info("invoice message handled", extra={"invoice_id": invoice_id,
                                                        "status": status})
    return None


def run_sweep(event) -> dict:
    from chalicelib.services.invoices.sweeper import sweep

    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return sweep(remaining)
