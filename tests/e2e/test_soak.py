"""A small whole day on the local stack (bench/soak.py is the big one): twelve drivers at once
through whole journeys, then the next morning's reconciliation, and every order, station
settlement, invoice and wallet ledger checked against what the drivers saw, with not one 5xx.
See tests/journeys.py.

The day gets a stack of its own: a day is reconciled once (the schedule skips a DONE day), so
sharing the session's stack would take the day from tests/e2e/test_reconciliation.py or give
it away, depending on which ran first.
"""
from __future__ import annotations

import pytest

from tests.e2e.conftest import running_stack
from tests.journeys import run_day

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("soak")) as info:
        yield info


def test_twelve_drivers_at_once_lose_no_order_payment_or_refund(own_stack):
    figures = run_day(own_stack, drivers=12)

    assert figures["journeys"] == 12
    checked = figures["checked"]
    assert (checked["orders"], checked["stations"], checked["invoices"], checked["wallets"]) == (
        12, 3, 6, 3)
