"""Races on one wallet, over HTTP against the app on DynamoDB Local: concurrent wallet orders never
spend more than the balance, and a coupon never pays two orders."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib.domain.marketing import coupons as coupon_rules
from chalicelib.domain.wallet.ledger import verify_chain
from chalicelib.domain.wallet import changes
from chalicelib.services.wallet import accounts
from chalicelib.services.marketing import coupons as coupon_service
from chalicelib.store.wallet import accounts as account_store
from chalicelib.store.marketing import coupon_templates as template_store
from chalicelib.store.marketing import coupons as coupon_store
from tests import paystack
from tests.paystack import driver_auth
from tests.races import all_at_once

pytestmark = pytest.mark.slow


@pytest.fixture
def dynamodb(real_dynamodb):
    """Races need DynamoDB's atomic conditional writes: DynamoDB Local only."""
    return real_dynamodb


def _order(pay, driver, station, **extra):
    return lambda: requests.post(f"{pay.api_url}/v1/orders", headers={
        **driver_auth(driver), "Idempotency-Key": uuid.uuid4().hex},
        json={"station_id": station.id, "nozzle_no": 1, "amount_fen": 10000, **extra}, timeout=120)


def test_twenty_wallet_orders_against_a_balance_for_three_make_exactly_three(pay):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    accounts.change_account(driver.id, lambda a: changes.for_topup(
        a, f"T{uuid.uuid4().hex[:20]}", 35000, None, datetime.now(timezone.utc)))

    answers = all_at_once([_order(pay, driver, station, pay_method="wallet")] * 20)

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 3, [a.text for a in answers]
    assert set(statuses) <= {201, 409, 422}, [a.text for a in answers if a.status_code >= 500]
    refused = [a.json()["code"] for a in answers if a.status_code == 422]
    assert set(refused) <= {"INSUFFICIENT_BALANCE"}
    account = account_store.get_account(driver.id)
    assert account.paid_fen == 5000
    chain = account_store.read_chain(driver.id, "balance")
    assert [e.reason for e in chain] == ["topup", "order", "order", "order"]
    assert verify_chain(chain, expected_balance=account.balance_fen).ok


def test_one_coupon_offered_to_ten_orders_at_once_pays_exactly_one(pay, roomy_caps):
    station, driver = paystack.seed_station(), paystack.seed_driver()
    now = datetime.now(timezone.utc)
    template = coupon_rules.CouponTemplate(
        id=f"ct_{uuid.uuid4().hex[:20]}", kind=coupon_rules.AMOUNT_OFF, title="立减5元",
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=7), total_stock=5,
        amount_off_fen=500)
    template_store.put_template(template, "s_hq_test", now)
    coupon_id = coupon_service.claim_coupon(driver.id, template.id, now).id

    answers = all_at_once([_order(pay, driver, station, coupon_id=coupon_id)] * 10)

    created = [a.json()["order"] for a in answers if a.status_code == 201]
    assert len(created) == 1, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code != 201} <= {"COUPON_USED",
                                                                           "ORDER_BUSY"}
    assert coupon_store.get_coupon(coupon_id).used_order_id == created[0]["id"]
    assert created[0]["coupon_fen"] == 500
