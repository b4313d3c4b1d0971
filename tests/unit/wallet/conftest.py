"""Wallet tests on moto; the payment ones with the WeChat Pay and WeChat sandboxes and the app
on loopback (tests/paystack.py), so top-up notifications reach the real webhook route."""
from __future__ import annotations

import pytest

from tests import paystack


@pytest.fixture
def pay(aws, base_environment, monkeypatch, pay_servers):
    yield paystack.point_tests_at(pay_servers, base_environment, monkeypatch)
    pay_servers.silence()


@pytest.fixture
def driver(aws):
    return paystack.seed_driver()
