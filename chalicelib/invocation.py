"""What every invocation gets, whatever its event (HTTP, SQS, schedule): the tracer made before
any call, and the business metrics it gathered written as EMF lines when it ends, even when it
raises. Registered once in app.py for all event types."""
from __future__ import annotations

from chalicelib import metrics, tracing


def invocation_middleware(event, get_response):
    tracing.start()
    metrics.begin()
    try:
        return get_response(event)
    finally:
        metrics.flush()
