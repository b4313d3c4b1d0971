"""The local stack seals ledger chain heads with its KMS key (moto) and hq's check verifies them:
a driver tops up over HTTP, WeChat Pay's sandbox pays, and the ledger verifies as keyed."""
from __future__ import annotations

import uuid

import requests

from tests.e2e.conftest import driver_token, eventually, staff_token


def test_a_top_up_is_written_sealed_and_verifies_as_keyed(stack, api):
    token = driver_token(stack, f"o-e2e-{uuid.uuid4().hex}")
    driver = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    user_id = requests.get(f"{api}/v1/me", headers=driver, timeout=10).json()["id"]
    created = requests.post(f"{api}/v1/wallet/topups", json={"amount_fen": 10_000},
                            headers=driver, timeout=60)
    assert created.status_code == 201, created.text
    topup_id = created.json()["topup"]["id"]
    prepay = created.json()["payment"]["package"].removeprefix("prepay_id=")
    assert requests.post(f"{stack['wechatpay_url']}/sandbox/pay", json={"prepay_id": prepay},
                         timeout=30).status_code == 200
    eventually(lambda: requests.get(f"{api}/v1/wallet/topups/{topup_id}", headers=driver,
                                    timeout=30).json(),
               lambda topup: topup.get("status") == "PAID", 60)
    hq, _ = staff_token(stack, "hq")

    report = requests.get(f"{api}/v1/staff/ledger/{user_id}/verify",
                          headers={"Authorization": f"Bearer {hq}"}, timeout=30).json()

    assert report["ok"] is True
    assert (report["balance"]["keyed"], report["balance"]["balance"]) == (True, 10_000)
