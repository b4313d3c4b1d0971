"""The local stack's moto server made cheaper where moto does work that answers nothing, never
looser: every answer, check and limit stays moto's own.

With a backlog on a queue (a bench's or a busy day's), moto spent most of the stack's CPU on
three things, measured with `bench/invoices.py --profile`:
- ReceiveMessage checked each message it hands out against the queue's retention period by
  building the queue's full attribute set (GetQueueAttributes), three times, and each build
  counts the visible, delayed and in-flight messages of the whole queue: a queue of n messages
  cost O(n) per message received. The check now reads the one attribute it compares with.
- Each message's `visible`/`delayed` read the clock through naive-datetime arithmetic
  (`unix_time_millis`); the same milliseconds since the epoch now come from `time.time()`, and
  the queue's visible messages and its three counts (built for every SendMessage too, to read
  one setting) are taken in one pass with one reading of the clock.
- Every request's host lookup listed moto's package directory on disk
  (`backends.list_of_moto_modules`), and every request converted the same action and
  parameter names to snake case again (`camelcase_to_underscores`, a pure function of its
  text): the list is read once, the names are remembered.

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

    import moto.core.responses  # noqa: F401 - imported now, so they get the remembering
    import moto.s3.responses  # noqa: F401   camelcase_to_underscores below
    import moto.sqs.responses  # noqa: F401
    from moto.core import utils

    queue = sqs.Queue
    shapes_known = (hasattr(sqs.SQSBackend, "is_message_valid_based_on_retention_period")
                    and hasattr(sqs, "unix_time_millis") and hasattr(sqs, "unix_time")
                    and hasattr(backends, "list_of_moto_modules")
                    and hasattr(utils, "camelcase_to_underscores")
                    and all(isinstance(getattr(queue, name, None), property) for name in (
                        "messages", "approximate_number_of_messages",
                        "approximate_number_of_messages_delayed",
                        "approximate_number_of_messages_not_visible")))
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

    # Message.visible is `now > visible_at`, Message.delayed is `now < delayed_until`.
    def messages(self) -> list:
        now = time.time() * 1000.0
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def visible_count(self) -> int:
        now = time.time() * 1000.0
        return sum(1 for m in self._messages if now > m.visible_at and not now < m.delayed_until)

    def delayed_count(self) -> int:
        now = time.time() * 1000.0
        return sum(1 for m in self._messages if now < m.delayed_until)

    def not_visible_count(self) -> int:
        now = time.time() * 1000.0
        return sum(1 for m in self._messages if not now > m.visible_at)

    queue.messages = property(messages)
    queue.approximate_number_of_messages = property(visible_count)
    queue.approximate_number_of_messages_delayed = property(delayed_count)
    queue.approximate_number_of_messages_not_visible = property(not_visible_count)
    _remember_snake_case(utils.camelcase_to_underscores)
    sqs.SQSBackend.is_message_valid_based_on_retention_period = \
        is_message_valid_based_on_retention_period
    sqs.unix_time_millis = unix_time_millis
    sqs.unix_time = unix_time
    backends.list_of_moto_modules = functools.wraps(backends.list_of_moto_modules)(
        lambda: modules)
    _applied = True
    return True


def _remember_snake_case(original) -> None:
    """Every moto module that imported `camelcase_to_underscores` gets the remembering one."""
    import sys

    remembered = functools.lru_cache(maxsize=4096)(original)
    for name, module in list(sys.modules.items()):
        if (name == "moto" or name.startswith("moto.")) \
                and getattr(module, "camelcase_to_underscores", None) is original:
            module.camelcase_to_underscores = remembered
