"""SQS: the notifier queue of subscribe-message events."""
from __future__ import annotations

from chalicelib.providers import queues
from chalicelib.settings import get_settings

BATCH_SIZE = queues.BATCH_SIZE


def notify_queue_url() -> str:
    return queues.queue_url(queues.named(get_settings().notify_queue_name, "notifications"))


def send_batch(bodies: list[str]) -> list[tuple[int, str, bool]]:
    """Send up to 10 bodies; returns the refused ones as (index, error code, sender_fault)."""
    return queues.send_batch(notify_queue_url(), bodies)
