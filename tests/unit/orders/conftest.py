"""Orders on moto, with the WeChat Pay and WeChat sandboxes and the app itself on loopback: the
sandbox's notifications travel over HTTP to the real webhook route.

The servers live for the session (starting and stopping them per test costs seconds); each test
gets them pointed at by its own environment and secrets, with the sandbox switches reset.
"""
from __future__ import annotations

import pytest

from tests import paystack


@pytest.fixture
def pay(aws, base_environment, monkeypatch, pay_servers):
    yield paystack.point_tests_at(pay_servers, base_environment, monkeypatch)
    pay_servers.silence()


@pytest.fixture
def station(aws):
    return paystack.seed_station()


@pytest.fixture
def driver(aws):
    return paystack.seed_driver()
