"""An SQS batch as Lambda hands it: each record handled on its own, the failed ones answered.

`handle(record)` returns when the record is done with and raises when it is not; this helper
is the one place that catches, logs and lists the failed records' messageIds in
`batchItemFailures` (the contract of Powertools' batch utility; the event source mapping has
ReportBatchItemFailures, added by infra/package.py), so one bad record never repeats the
others. A body that does not decode is such a failure too: SQS delivers it again and, after
the queue's maxReceiveCount, moves it to the dead-letter queue whose alarm fires, where a
person sees the publisher's bug instead of the message vanishing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from chalicelib.observability import get_logger
from chalicelib.type_plans import planned

T = TypeVar("T")


def decode(body: str, message_type: type[T]) -> T:
    """A record's JSON body as its typed message; raises msgspec's ValidationError or
    DecodeError, whose text names the field or position and never echoes the body."""
    return msgspec.json.decode(body, type=planned(message_type))


def handle_batch(event, handle: Callable[[object], None], *, parallel: int = 1) -> dict:
    """`parallel` > 1 runs the records side by side, for work that waits far more than it
    computes (the issuer, WeChat, S3); records that contend for one item stay in turn."""
    records = list(event)
    if parallel <= 1 or len(records) <= 1:
        outcomes = [_failed_id(handle, record) for record in records]
    else:
        from concurrent.futures import ThreadPoolExecutor  # only the queue workers need threads
        with ThreadPoolExecutor(max_workers=min(len(records), parallel)) as pool:
            outcomes = list(pool.map(lambda record: _failed_id(handle, record), records))
    return {"batchItemFailures": [{"itemIdentifier": message_id}
                                  for message_id in outcomes if message_id]}


def _failed_id(handle: Callable[[object], None], record) -> str | None:
    """None when `handle` got through the record, else its messageId."""
    try:
        handle(record)
    except Exception:  # noqa: BLE001 - report this record, go on with the others
        # The messageId only: a body may hold a driver's ids or an invoice title.
        message_id = record.to_dict()["messageId"]
        get_logger().exception("queue record failed", extra={"message_id": message_id})
        return message_id
    return None
