"""E2E tier: the local stack (tests/local_stack.py), spoken to over HTTP only."""
from __future__ import annotations

import pytest

# The e2e tests import these helpers from here.
from tests.local_stack import driver_token, eventually, staff_token  # noqa: F401


@pytest.fixture(scope="session")
def api(stack):
    return stack["api_url"]
