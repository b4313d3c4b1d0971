"""Top-up rows of WeChat Pay's trade bill are matched against the topups table, a payment billed
but not recorded is healed (credited once), and top-ups stay out of every station's settlement."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain.times import SHANGHAI
from chalicelib.services.reconciliation import daily as reconciliation
from chalicelib.store.wallet import accounts as account_store
from chalicelib.store.reconciliation import results as reconciliation_store
from chalicelib.store.wallet import topups as topup_store
from tests import paystack
from tests.unit.wallet.wallet_flows import (create_topup, paid_topup, prepay_id, suppress,
                                            wait_status)


@pytest.fixture
def pay(aws, base_environment, monkeypatch, pay_servers):
    """An empty sandbox whose bill of today is available at once (as tomorrow's would be)."""
    paystack.point_billing_tests_at(pay_servers, base_environment, monkeypatch)
    yield pay_servers
    pay_servers.silence()


def _today():
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


def test_topups_are_matched_healed_and_kept_out_of_station_settlements(pay, client, driver):
    over = create_topup(client, driver, 300_000)  # fits now; not once the next one is paid
    credited = paid_topup(client, pay, driver, 300_000)
    pay.pay(prepay_id(over))
    refunded = wait_status(client, driver, over.json_body["topup"]["id"], "REFUNDED")
    lost = create_topup(client, driver, 10_000)
    lost_id = lost.json_body["topup"]["id"]
    suppress(pay, lost_id)
    pay.pay(prepay_id(lost))
    assert topup_store.get_topup(lost_id).status == "PENDING_PAYMENT"

    result = reconciliation.run_day(_today())

    assert result["status"] == "DONE"
    assert result["summary"]["topups"] == {
        "bill_rows": 4, "matched_count": 2, "matched_amount_fen": 600_000,
        "refunds_matched_count": 1, "refunds_matched_amount_fen": 300_000,
        "fee_milli_fen": result["summary"]["topups"]["fee_milli_fen"], "differences": 1}
    (difference,) = reconciliation_store.differences(_today().isoformat())
    assert (difference.kind, difference.out_trade_no, difference.station_id,
            difference.outcome) == ("PAID_NOT_RECORDED", lost_id, "WALLET_TOPUPS", "HEALED")
    assert topup_store.get_topup(lost_id).status == "PAID"
    assert account_store.get_account(driver.id).balance_fen == 312_000 + 10_000
    assert reconciliation_store.settlements(_today().isoformat()) == []
    assert {credited["id"], refunded["id"]} <= {t.id for t in topup_store.paid_on(_today().isoformat())}


def test_rerunning_the_day_heals_nothing_twice(pay, client, driver):
    lost = create_topup(client, driver, 10_000)
    lost_id = lost.json_body["topup"]["id"]
    suppress(pay, lost_id)
    pay.pay(prepay_id(lost))
    first = reconciliation.run_day(_today())

    second = reconciliation.run_day(_today())

    assert first["summary"]["topups"] == second["summary"]["topups"]
    assert account_store.get_account(driver.id).balance_fen == 10_000
    assert len(account_store.read_chain(driver.id, "balance")) == 1
