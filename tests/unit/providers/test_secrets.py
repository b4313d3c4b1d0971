"""Secrets from Secrets Manager (moto) are kept for SECRETS_CACHE_S seconds: a rotated secret is
seen once that time has passed, without a redeploy, and not one request sooner."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from chalicelib.providers import secrets
from tests.conftest import reset_caches

SECRET_ID = "fuel/local/app"


class Clock:
    """Powertools' parameter cache reads `datetime.now()`; this moves it by hand."""

    def __init__(self):
        self.at = datetime(2026, 12, 6, 12, 0, 0)
        clock = self

        class _Now(datetime):
            @classmethod
            def now(cls, tz=None):
                return clock.at

        self.datetime = _Now

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def secrets_manager(monkeypatch):
    from aws_lambda_powertools.utilities.parameters import base

    clock = Clock()
    monkeypatch.setattr(base, "datetime", clock.datetime)
    monkeypatch.delenv("SECRETS_FILE")
    monkeypatch.setenv("SECRETS_ID", SECRET_ID)
    monkeypatch.setenv("SECRETS_CACHE_S", "300")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="cn-north-1")
        client.create_secret(Name=SECRET_ID, SecretString=json.dumps({"token_signing_key": "k1"}))
        reset_caches()
        yield client, clock
    reset_caches()


def rotate(client, value: str) -> None:
    client.put_secret_value(SecretId=SECRET_ID,
                            SecretString=json.dumps({"token_signing_key": value}))


def test_a_rotated_secret_is_seen_after_the_cache_time(secrets_manager):
    client, clock = secrets_manager
    assert secrets.get_secret("token_signing_key") == "k1"

    rotate(client, "k2")
    clock.advance(299)
    still = secrets.get_secret("token_signing_key")
    clock.advance(2)
    rotated = secrets.get_secret("token_signing_key")

    assert (still, rotated) == ("k1", "k2")


def test_a_missing_key_is_a_missing_secret(secrets_manager):
    with pytest.raises(secrets.MissingSecret):
        secrets.get_secret("no_such_key")
