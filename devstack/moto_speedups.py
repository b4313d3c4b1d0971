"""The local stack's moto server made cheaper where moto does work that answers nothing, never
looser: every answer, check and limit stays moto's own.

With a backlog on a queue (a bench's or a busy day's), moto spent most of the stack's CPU on
three things, measured with `bench/invoices.py --profile`:
- ReceiveMessage checked each message it hands out against the queue's retention period by
  building the queue's full attribute set (GetQueueAttributes), three times, and each build
  counts the visible, delayed and in-flight messages of the whole queue: a queue of n messages
  cost O(n) per message received. The check now reads the one attribute it compares with.
- Each message's `visible`/`delayed` read the clock through naive-datetime arithmetic
  (`unix_time_millis`); the same milliseconds since the epoch now come from `time.time()`.
- Every request's host lookup listed moto's package directory on disk
  (`backends.list_of_moto_modules`); the list is read once.

Applied once, in the process serving moto (devstack/stack.py), before it starts; a moto whose
internals moved on is left as it is (the stack still runs, only slower), and
tests/unit/devstack/test_moto_speedups.py says so.
"""
from __future__ import annotations

import functools
import time

_applied = False


def apply() -> bool:
    """Patch moto in this process; True when every patch found what it replaces."""
    global _applied
    if _applied:
        return True
    from moto import backends
    from moto.sqs import models as sqs

    shapes_known = (hasattr(sqs.SQSBackend, "is_message_valid_based_on_retention_period")
                    and hasattr(sqs, "unix_time_millis") and hasattr(sqs, "unix_time")
                    and hasattr(backends, "list_of_moto_modules"))
    if not shapes_known:
        return False

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        # moto's own comparison, with the one attribute it reads taken from the queue.
        retention_s = int(self.get_queue(queue_name).message_retention_period)
        return retention_s + message.sent_timestamp / 1000 > time.time()

    def unix_time_millis(dt=None) -> float:
        return sqs_unix_time(dt) * 1000.0 if dt is not None else time.time() * 1000.0

    def unix_time(dt=None) -> float:
        return sqs_unix_time(dt) if dt is not None else time.time()

    sqs_unix_time = sqs.unix_time
    modules = tuple(backends.list_of_moto_modules())

    sqs.SQSBackend.is_message_valid_based_on_retention_period = \
        is_message_valid_based_on_retention_period
    sqs.unix_time_millis = unix_time_millis
    sqs.unix_time = unix_time
    backends.list_of_moto_modules = functools.wraps(backends.list_of_moto_modules)(
        lambda: modules)
    _applied = True
    return True
