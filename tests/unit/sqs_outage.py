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
    """While `down`, every SQS call the app makes fails to connect; `recover()` ends it."""

    def __init__(self, monkeypatch):
        real = queues.get_sqs
        self.down = True

        def get_sqs():
            return _Unreachable() if self.down else real()
        get_sqs.cache_clear = real.cache_clear
        monkeypatch.setattr(queues, "get_sqs", get_sqs)

    def recover(self) -> None:
        self.down = False
