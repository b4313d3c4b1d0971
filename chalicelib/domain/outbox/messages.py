"""An outbox message: one queue message a committed change owes the world.

It is written in the same transaction as the change that causes it (so a change is never
committed without its message, nor a message without its change), sent right after the commit
and then deleted; one still there is pending, and the sweeper sends it again. Sending is at
least once: every consumer treats a message it has seen before as done (the notifier claims
each event id, the campaign worker records each (campaign, user) once, the fan-out hands over
the same event ids).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_BODY_BYTES = 256 * 1024  # SQS: a message is at most 256 KiB


class OutboxQueue(StrEnum):
    """The queues an outbox message goes to (their stage names: providers/queues.py)."""
    NOTIFICATIONS = "notifications"
    ALERT_FANOUT = "alert-fanout"
    COUPON_CAMPAIGNS = "coupon-campaigns"


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    queue: OutboxQueue
    body: str
    created_at: datetime


def new_message(queue: OutboxQueue, body: str, created_at: datetime) -> OutboxMessage:
    """A message with a fresh id; ValueError if SQS would never take its body."""
    if not body or len(body.encode()) > MAX_BODY_BYTES:
        raise ValueError(f"an outbox message body is 1 byte to {MAX_BODY_BYTES} bytes")
    return OutboxMessage(f"ob_{uuid.uuid4().hex}", OutboxQueue(queue), body, created_at)
