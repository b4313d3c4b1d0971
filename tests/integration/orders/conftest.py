"""Orders on both engines (moto and DynamoDB Local), with the payment sandboxes and the app on
loopback. DynamoDB Local's tables live for the session: every test makes its own ids."""
from __future__ import annotations

import pytest

from tests import paystack
from tests.conftest import add_secrets, reset_caches


@pytest.fixture(scope="session")
def pay_servers():
    stack = paystack.start_paystack()
    yield stack
    stack.stop()


@pytest.fixture
def pay(dynamodb, base_environment, monkeypatch, pay_servers):
    paystack.serialize_moto_dynamodb(monkeypatch)  # no effect on DynamoDB Local
    pay_servers.reset_switches()
    for key, value in pay_servers.environment().items():
        monkeypatch.setenv(key, value)
    add_secrets(base_environment, **paystack.secrets_for(pay_servers.keys))
    reset_caches()
    yield pay_servers
    pay_servers.silence()
