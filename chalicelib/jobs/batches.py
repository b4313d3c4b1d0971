"""An SQS batch as Lambda hands it: each record handled on its own, the failed ones answered.

`handle(record)` returns None when the record is done with, or its messageId to have it
delivered again; the answer lists those in `batchItemFailures` (the event source mapping has
ReportBatchItemFailures, added by infra/package.py), so one bad record never repeats the others.
"""
from __future__ import annotations

from collections.abc import Callable


def handle_batch(event, handle: Callable[[object], str | None], *, parallel: int = 1) -> dict:
    """`parallel` > 1 runs the records side by side, for work that waits far more than it
    computes (the issuer, WeChat, S3); records that contend for one item stay in turn."""
    records = list(event)
    if parallel <= 1 or len(records) <= 1:
        outcomes = [handle(record) for record in records]
    else:
        from concurrent.futures import ThreadPoolExecutor  # only the queue workers need threads
        with ThreadPoolExecutor(max_workers=min(len(records), parallel)) as pool:
            outcomes = list(pool.map(handle, records))
    return {"batchItemFailures": [{"itemIdentifier": message_id}
                                  for message_id in outcomes if message_id]}
