"""Orders on both engines (moto and DynamoDB Local), with the payment sandboxes and the app on
loopback. DynamoDB Local's tables live for the session: every test makes its own ids."""
from __future__ import annotations

import pytest

from tests import paystack


@pytest.fixture
def pay(dynamodb, base_environment, monkeypatch, pay_servers):
    yield paystack.point_tests_at(pay_servers, base_environment, monkeypatch)
    pay_servers.silence()
