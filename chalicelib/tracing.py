"""X-Ray traces through Powertools Tracer: one subsegment per use case, annotated with the id it
is about (order_id, invoice_id), so a trace is found by the order a driver or a manager names.

Tracing is switched on per function by the packaged template (Tracing: Active); the local stage
and the tests set POWERTOOLS_TRACE_DISABLED, and then nothing here imports the X-Ray SDK or
tries to reach a daemon. Imports are lazy: `import app` stays lean.
"""
from __future__ import annotations

import functools
import os
import threading
from functools import lru_cache

SERVICE = "fuel"
_local = threading.local()


def enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true", "yes")
    return not disabled and "LAMBDA_TASK_ROOT" in os.environ  # set by the Lambda runtime only


@lru_cache(maxsize=1)
def tracer():
    """The one Tracer; made on the first traced invocation (it patches boto3 and requests, so
    their calls appear as subsegments)."""
    from aws_lambda_powertools import Tracer
    return Tracer(service=SERVICE)


def start() -> None:
    """An invocation starts (chalicelib/invocation.py): make the tracer before any call."""
    if enabled():
        tracer()


def use_case(name: str):
    """Decorator: the function runs in its own subsegment `## <name>`; `annotate` marks it."""
    def wrap(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            if not enabled():
                return func(*args, **kwargs)
            with tracer().provider.in_subsegment(f"## {name}") as subsegment:
                stack = _stack()
                stack.append(subsegment)
                try:
                    return func(*args, **kwargs)
                finally:
                    stack.pop()
        return run
    return wrap


def annotate(**annotations: str) -> None:
    """Annotate the innermost use case being traced (searchable in X-Ray: annotation.order_id)."""
    stack = _stack() if enabled() else None
    if not stack:
        return
    for key, value in annotations.items():
        if value is not None:
            stack[-1].put_annotation(key=key, value=str(value))


def _stack() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack
