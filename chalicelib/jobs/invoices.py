"""The invoice Lambdas, thin like the API views: the SQS worker and the minute sweeper.

The worker handles each record on its own and jobs/batches answers the failed ones in
`batchItemFailures`, so one bad message is retried alone and, after the queue's
maxReceiveCount, lands in the dead-letter queue whose alarm fires. Issuer trouble is not such
a failure: the invoice records it and the sweeper tries again on its schedule.
"""
from __future__ import annotations

from chalicelib.jobs.batches import decode, handle_batch
from chalicelib.jobs.messages import InvoiceWork
from chalicelib.observability import get_logger
from chalicelib.needs import Needs

MAX_PARALLEL = 10


def handle_messages(event) -> dict:
    """Advance each record's invoice, the records of a batch side by side (the work waits on
    DynamoDB, the issuer, S3 and SMTP far more than it computes). The drivers' messages the
    batch's ISSUED writes staged go out together at its end: one SendMessageBatch and one
    outbox delete for up to ten invoices instead of one each. When every record has a thread
    of its own, the records' ISSUED writes go in one transaction, and so do the records of
    their mails (store/group_commit.py); a record whose write fails alone is reported alone."""
    from chalicelib.services.outbox import delivery as outbox
    from chalicelib.store.group_commit import GroupCommit

    records = list(event)
    group = GroupCommit(len(records)) if 1 < len(records) <= MAX_PARALLEL else None
    told: list = []   # appended to from the batch's threads (list.extend is atomic)
    try:
        return handle_batch(records, lambda record: _handle(record, told, group),
                            parallel=MAX_PARALLEL)
    finally:
        outbox.send_now(told)   # never raises; what it cannot send, the outbox sweeper does


def _handle(record, told: list, group) -> None:
    from chalicelib.services.invoices.work import advance

    try:
        work = decode(record.body, InvoiceWork)
        invoice_id = work.invoice_id
        status = advance(invoice_id, fresh=work.fresh, told=told, group=group)
    finally:
        if group is not None:
            group.leave()   # the batch's other records no longer wait for this one
    get_logger().info("invoice message handled", extra={"invoice_id": invoice_id,
                                                        "status": status})


def run_sweep(event) -> dict:
    from chalicelib.services.invoices.sweeper import sweep

    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return sweep(remaining)


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
# The worker and the sweeper advance invoices with the same code.
_INVOICE_WORK = Needs(
    tables={
        "invoices": "RPU", "order-events": "RP", "orders": "RPU", "outbox": "RPD", "promotions": "R",
        "refunds": "RPU", "station-density": "RU", "stations": "RP",
    },
    sends=("alert-fanout", "coupon-campaigns", "invoices", "notifications"),
    buckets=("invoices",),
    secrets=True,
)
NEEDS = {name: _INVOICE_WORK for name in ("invoice_worker", "invoice_sweeper")}
