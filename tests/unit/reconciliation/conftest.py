"""Reconciliation on moto with the WeChat Pay sandbox and the app on loopback (tests/paystack.py).

Each test starts with an empty sandbox (its bill of today holds only that test's payments) that
serves today's bill at once (`bills_available_early`), as the real one does from 10:00 tomorrow.
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
    sandbox = pay_servers.sandbox
    with sandbox.lock:
        sandbox.orders.clear()
        sandbox.by_prepay.clear()
        sandbox.refunds.clear()
        sandbox.suppressed.clear()
    monkeypatch.setattr(pay_servers.config, "bills_available_early", True)
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
