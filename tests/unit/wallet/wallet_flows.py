"""Steps of the wallet flows through the chalice test client, shared by the wallet tests."""
from __future__ import annotations

import json
import uuid

import requests

from tests.paystack import driver_auth, wait_for


def create_topup(client, driver, amount_fen, key: str | None = None):
    headers = {**driver_auth(driver), "Content-Type": "application/json",
               "Idempotency-Key": key or uuid.uuid4().hex}
    return client.http.post("/v1/wallet/topups", headers=headers,
                            body=json.dumps({"amount_fen": amount_fen}).encode())


def prepay_id(created) -> str:
    return created.json_body["payment"]["package"].split("=", 1)[1]


def wallet(client, driver) -> dict:
    answer = client.http.get("/v1/wallet", headers=driver_auth(driver))
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def get_topup(client, driver, topup_id: str):
    return client.http.get(f"/v1/wallet/topups/{topup_id}", headers=driver_auth(driver))


def entries(client, driver, kind="balance", **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"kind": kind, **params}.items())
    answer = client.http.get(f"/v1/wallet/entries?{query}", headers=driver_auth(driver))
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def suppress(pay, out_trade_no: str) -> None:
    requests.post(f"{pay.pay_url}/sandbox/suppress-notifications",
                  json={"out_trade_no": out_trade_no}, timeout=5)


def wait_status(client, driver, topup_id: str, status: str, timeout_s: float = 30) -> dict:
    def reached():
        topup = get_topup(client, driver, topup_id).json_body
        return topup if topup.get("status") == status else None
    return wait_for(reached, timeout_s)


def paid_topup(client, pay, driver, amount_fen: int) -> dict:
    created = create_topup(client, driver, amount_fen)
    assert created.status_code == 201, created.json_body
    assert pay.pay(prepay_id(created)).status_code == 200
    return wait_status(client, driver, created.json_body["topup"]["id"], "PAID")
