"""Delivering the outbox: the messages a change wrote in its own transaction reach SQS.

- `staged(messages)` is what a use case adds to the transaction of its change;
- `send_now(messages)`, right after that commit: SendMessageBatch per queue (10 a call), and the
  messages SQS took are deleted from the outbox. It never raises: a message SQS did not take
  stays in the outbox, and the sweeper sends it;
- `sweep`, every minute (jobs/outbox.py): sends every message older than
  settings.outbox_grace_s the same way, a page at a time (each oldest first) until the Lambda's
  time runs short, and stops a run at the first SQS error (the next run tries again); an entry
  SQS refuses stays pending without holding up the others.
A message may so reach SQS twice (sent, then its delete lost; or swept while the fast path was
sending it): every consumer handles a repeat as done, so a driver still gets one message.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from chalicelib import metrics
from chalicelib.domain import times
from chalicelib.domain.outbox.messages import OutboxMessage, OutboxQueue
from chalicelib.observability import get_logger
from chalicelib.settings import get_settings
from chalicelib.store.outbox import messages as store

SWEEP_PAGE = 100
MAX_SWEEP_PAGES = 50  # without a clock to watch, one run sends at most 5,000
RESERVE_MS = 10_000  # stop taking pages when less than this is left of the Lambda's time


def _queue_url(queue: OutboxQueue) -> str:
    from chalicelib.providers import campaign_queue, notify_queue, queues

    urls = {OutboxQueue.NOTIFICATIONS: notify_queue.notify_queue_url,
            OutboxQueue.ALERT_FANOUT: queues.alert_fanout_queue_url,
            OutboxQueue.COUPON_CAMPAIGNS: campaign_queue.campaign_queue_url}
    return urls[queue]()


def staged(messages: list[OutboxMessage]) -> Callable | None:
    """The messages as a stage of the caller's TransactWrite (None when there are none)."""
    if not messages:
        return None
    return lambda tx: store.stage(tx, messages)


def send_now(messages: list[OutboxMessage]) -> int:
    """Send what a change just committed; returns how many SQS took. Never raises."""
    sent, failure = _send(messages)
    if len(sent) < len(messages):
        get_logger().warning("outbox messages left for the sweeper", extra={
            "messages": len(messages) - len(sent), "error": failure})
    return len(sent)


def _send(messages: list[OutboxMessage]) -> tuple[list[str], str | None]:
    """Send, per queue 10 a batch, deleting each batch's messages SQS took. An entry SQS refuses
    stays pending (logged); an error (SQS or DynamoDB unreachable) stops the sending. Returns the
    ids sent and that error's name (None: nothing stopped it)."""
    from chalicelib.providers import queues

    sent: list[str] = []
    by_queue: dict[OutboxQueue, list[OutboxMessage]] = {}
    for message in messages:
        by_queue.setdefault(message.queue, []).append(message)
    for queue, group in by_queue.items():
        for start in range(0, len(group), queues.BATCH_SIZE):
            batch = group[start:start + queues.BATCH_SIZE]
            try:
                refused = queues.send_batch(_queue_url(queue), [m.body for m in batch])
                refused_at = {index for index, _, _ in refused}
                taken = [m.id for index, m in enumerate(batch) if index not in refused_at]
                store.delete(taken)
            except Exception as err:  # noqa: BLE001 - SQS or DynamoDB down: the outbox keeps them
                return sent, type(err).__name__
            sent += taken
            for index, code, sender_fault in refused:
                log = get_logger().error if sender_fault else get_logger().warning
                log("outbox message refused by SQS", extra={
                    "message_id": batch[index].id, "queue": str(queue), "code": code})
    return sent, None


def sweep(remaining_ms: Callable[[], int] | None = None, *,
          now: datetime | None = None) -> dict[str, int]:
    """Send the pending messages older than the grace; returns how many were found and sent."""
    cutoff = (now or times.now()) - timedelta(seconds=get_settings().outbox_grace_s)
    counts = {"pending": 0, "sent": 0}
    start, failure = None, None
    for _ in range(MAX_SWEEP_PAGES):
        if remaining_ms is not None and remaining_ms() < RESERVE_MS:
            break
        page, start = store.pending_page(cutoff, SWEEP_PAGE, start)
        page.sort(key=lambda m: m.created_at)
        sent, failure = _send(page)
        counts["pending"] += len(page)
        counts["sent"] += len(sent)
        if failure is not None:
            get_logger().warning("outbox sweep stopped", extra={**counts, "error": failure})
            break
        if start is None:
            break
    if counts["pending"]:
        if failure is None:
            get_logger().info("outbox swept", extra=counts)
        # Every sweep that finds owed messages says how many it left: SQS refusing them for
        # minutes on end is what the outbox-messages-left alarm reads (infra/alarms.py).
        metrics.count(metrics.Metric.OUTBOX_LEFT, counts["pending"] - counts["sent"])
    return counts
