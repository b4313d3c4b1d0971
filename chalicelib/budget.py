"""The time left to answer the request being served, so outbound calls and their retries end
before API Gateway gives up (29 s) or the Lambda is stopped, and never after a change was
committed but before the caller heard of it.

The middleware opens a budget per HTTP request from the Lambda's remaining time; jobs have
none (their own timeouts bound them), and then `remaining_s` is None.
"""
from __future__ import annotations

import contextlib
import contextvars
import time

# API Gateway answers 504 after 29 s whatever the function's own timeout.
_GATEWAY_LIMIT_S = 29.0
# Kept back to record what was decided and to answer.
_MARGIN_S = 2.0
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


def remaining_s() -> float | None:
    """Seconds left for outbound work in this request; None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def request_budget(lambda_context):
    left = _GATEWAY_LIMIT_S
    remaining_ms = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if callable(remaining_ms):
        left = min(left, remaining_ms() / 1000)
    token = _deadline.set(time.monotonic() + left - _MARGIN_S)
    try:
        yield
    finally:
        _deadline.reset(token)
