"""Finding 10: an outbound call and its retries fit in what is left of the request's time, so
a refund committed here is never cut off by API Gateway's 29 s while WeChat Pay is retried."""
from __future__ import annotations

import pytest
import requests

from chalicelib import budget
from chalicelib.domain.errors import UpstreamUnavailable
from chalicelib.providers import http


class _Refusing:
    def __init__(self):
        self.timeouts = []

    def request(self, method, url, **kwargs):
        self.timeouts.append(kwargs["timeout"])
        raise requests.ConnectionError("refused")


@pytest.fixture
def session(monkeypatch):
    fake = _Refusing()

    def get_session():
        return fake
    get_session.cache_clear = lambda: None  # the suite's cache reset runs after this test
    monkeypatch.setattr(http, "get_session", get_session)
    monkeypatch.setattr(http.time, "sleep", lambda s: None)
    return fake


def remaining(monkeypatch, *values):
    left = list(values)
    monkeypatch.setattr(budget, "remaining_s", lambda: left.pop(0) if len(left) > 1 else left[0])


def test_without_a_deadline_the_bounded_retries_run(session):
    with pytest.raises(UpstreamUnavailable):
        http.request("GET", "http://127.0.0.1:9/x")
    assert len(session.timeouts) == 3


def test_each_attempt_waits_no_longer_than_the_time_left(session, monkeypatch):
    remaining(monkeypatch, 4.0, 4.0, 2.0, 2.0, 0.1)

    with pytest.raises(UpstreamUnavailable):
        http.request("GET", "http://127.0.0.1:9/x")

    assert all(connect <= 4.0 and read <= 4.0 for connect, read in session.timeouts)
    assert session.timeouts[-1][1] <= 2.0


def test_no_attempt_starts_when_the_request_time_is_spent(session, monkeypatch):
    remaining(monkeypatch, 0.2)

    with pytest.raises(UpstreamUnavailable):
        http.request("GET", "http://127.0.0.1:9/x")

    assert session.timeouts == []


def test_the_middleware_sets_the_deadline_from_the_lambda_context():
    class Context:
        @staticmethod
        def get_remaining_time_in_millis():
            return 12_000

    with budget.request_budget(Context()):
        assert 9.0 < budget.remaining_s() <= 12.0
    assert budget.remaining_s() is None
