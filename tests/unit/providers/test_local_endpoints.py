"""The local stage never reaches a real AWS host: a service left without a local endpoint
fails at once, before any name is resolved (issue 20: a bench's payment notifications tried
the real SQS endpoint)."""
from __future__ import annotations

import socket

import pytest

from chalicelib.providers import queues
from chalicelib.settings import EndpointMissing, get_settings
from tests.conftest import reset_caches


@pytest.fixture
def no_resolving(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a host name was resolved: {args[:2]}")
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_an_sqs_client_without_a_local_endpoint_fails_fast(no_resolving):
    with pytest.raises(EndpointMissing, match="AWS_ENDPOINT_URL_SQS"):
        queues.send_batch("https://sqs.cn-north-1.amazonaws.com.cn/1/fuel-local-x", ["{}"])


def test_a_table_without_a_local_endpoint_fails_fast(no_resolving):
    from chalicelib.store.stations import stations as station_store

    with pytest.raises(EndpointMissing, match="dynamodb"):
        station_store.get_station("st-anything")


def test_each_service_takes_its_own_endpoint_then_the_shared_one(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    reset_caches()
    settings = get_settings()

    assert settings.endpoint_for("sqs") == "http://127.0.0.1:4566"
    assert settings.endpoint_for("s3") == "http://127.0.0.1:5000"
    assert settings.endpoint_for("dynamodb") == "http://127.0.0.1:5000"


def test_a_deployed_stage_uses_aws_itself(monkeypatch):
    monkeypatch.setenv("STAGE", "prod")
    reset_caches()

    assert get_settings().endpoint_for("sqs") is None
