"""The one way to try again after losing an optimistic write (a stale version, a transaction
cancelled by another in flight on the same items).

Each attempt reads again and decides again, so a retry never writes a decision taken on old
data. Between attempts the caller waits a random time up to a growing cap ("full jitter"):
contenders spread out instead of colliding again in step, and no wait outgrows the cap.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

ATTEMPTS = 10
BASE_S, CAP_S = 0.01, 0.25


def backoff(retry: int) -> float:
    """The wait before retry number `retry` (1 for the second attempt): full jitter, capped."""
    return random.uniform(0, min(CAP_S, BASE_S * 2 ** retry))


def retry_lost_writes(attempt: Callable[[int], T], lost: type[BaseException] | tuple[type[BaseException], ...],
                      *, attempts: int = ATTEMPTS, busy: BaseException | None = None,
                      sleep: Callable[[float], None] = time.sleep) -> T:
    """Call `attempt(n)` (n = 0, 1, ...) until it answers, at most `attempts` times, retrying
    only when it raises one of `lost`; anything else propagates at once.

    When every attempt lost, raises `busy` (chained to the last loss) if given, else the last
    loss itself. No wait follows the last attempt.
    """
    for n in range(attempts):
        try:
            return attempt(n)
        except lost as err:
            if n + 1 < attempts:
                sleep(backoff(n + 1))
                continue
            if busy is None:
                raise
            raise busy from err
    raise ValueError("attempts must be at least 1")
