"""SQS made unreachable for the app (and back), as a network outage looks to boto3."""
from __future__ import annotations

from botocore.exceptions import EndpointConnectionError

from chalicelib.providers import queues


class _Unreachable:
    def __getattr__(self, operation):
        def call(*args, **kwargs):
            raise EndpointConnectionError(endpoint_url="https://sqs.cn-north-1.amazonaws.com.cn")
        return call


class SqsOutage:
    """SQS fails to connect for the app until `recover()`; the first `calls_allowed` calls
    still get through (an outage that begins halfway through a piece of work)."""

    def __init__(self, monkeypatch, *, calls_allowed: int = 0):
        real = queues.get_sqs
        self.down, self.calls_allowed = True, calls_allowed

        def get_sqs():
            if not self.down:
                return real()
            if self.calls_allowed > 0:
                self.calls_allowed -= 1
                return real()
            return _Unreachable()
        get_sqs.cache_clear = real.cache_clear
        monkeypatch.setattr(queues, "get_sqs", get_sqs)

    def recover(self) -> None:
        self.down = False
