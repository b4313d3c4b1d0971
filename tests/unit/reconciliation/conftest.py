"""Reconciliation on moto with the WeChat Pay sandbox and the app on loopback (tests/paystack.py).

Each test starts with an empty sandbox (its bill of today holds only that test's payments) that
serves today's bill at once (`bills_available_early`), as the real one does from 10:00 tomorrow.
"""
from __future__ import annotations

import pytest

from tests import paystack


@pytest.fixture
def pay(aws, base_environment, monkeypatch, pay_servers):
    # A billing day is built from one driver's many orders, more than a driver may leave unpaid.
    monkeypatch.setenv("DRIVER_MAX_UNPAID_ORDERS", "100")
    paystack.point_billing_tests_at(pay_servers, base_environment, monkeypatch)
    yield pay_servers
    pay_servers.silence()


@pytest.fixture
def station(aws):
    return paystack.seed_station()


@pytest.fixture
def driver(aws):
    return paystack.seed_driver()
