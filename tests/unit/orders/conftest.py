"""Orders on moto, with the WeChat Pay and WeChat sandboxes and the app itself on loopback: the
sandbox's notifications travel over HTTP to the real webhook route.

The servers live for the session (starting and stopping them per test costs seconds); each test
gets them pointed at by its own environment and secrets, with the sandbox switches reset.
"""
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
def pay(aws, base_environment, monkeypatch, pay_servers):
    paystack.serialize_moto_dynamodb(monkeypatch)
    pay_servers.reset_switches()
    for key, value in pay_servers.environment().items():
        monkeypatch.setenv(key, value)
    add_secrets(base_environment, **paystack.secrets_for(pay_servers.keys))
    reset_caches()
    yield pay_servers
    pay_servers.silence()


@pytest.fixture
def station(aws):
    return paystack.seed_station()


@pytest.fixture
def driver(aws):
    return paystack.seed_driver()
