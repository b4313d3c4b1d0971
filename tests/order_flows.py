"""Steps of the order flow through the chalice test client, shared by the order test modules."""
from __future__ import annotations

import json
import uuid

from tests.paystack import driver_auth, staff_auth, wait_for


def post(client, path: str, body: dict | None, headers: dict, key: str | None = None):
    headers = {**headers, "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.http.post(path, headers=headers,
                            body=json.dumps(body).encode() if body is not None else b"")


def create_order(client, driver, station, *, amount_fen: int = 30000, nozzle_no: int = 1,
                 key: str | None = None, **extra):
    body = {"station_id": station.id, "nozzle_no": nozzle_no, "amount_fen": amount_fen, **extra}
    return post(client, "/v1/orders", body, driver_auth(driver), key or uuid.uuid4().hex)


def prepay_id(created) -> str:
    return created.json_body["payment"]["package"].split("=", 1)[1]


def get_order(client, driver, order_id: str) -> dict:
    return client.http.get(f"/v1/orders/{order_id}", headers=driver_auth(driver)).json_body


def wait_status(client, driver, order_id: str, status: str, timeout_s: float = 30) -> dict:
    def reached():
        order = get_order(client, driver, order_id)
        return order if order.get("status") == status else None
    return wait_for(reached, timeout_s)


def paid_order(client, pay, driver, station, **kwargs) -> dict:
    created = create_order(client, driver, station, **kwargs)
    assert created.status_code == 201, created.json_body
    assert pay.pay(prepay_id(created)).status_code == 200
    return wait_status(client, driver, created.json_body["order"]["id"], "PAID")


def confirm(client, staff, order_id: str, body: dict | None = None):
    return post(client, f"/v1/staff/orders/{order_id}/confirm", body or {}, staff_auth(staff))


def refund(client, staff, order_id: str, amount_fen: int, reason: str = "加错油站",
           key: str | None = None):
    return post(client, f"/v1/staff/orders/{order_id}/refund",
                {"amount_fen": amount_fen, "reason": reason}, staff_auth(staff),
                key or uuid.uuid4().hex)


def history(client, staff, order_id: str) -> list[dict]:
    answer = client.http.get(f"/v1/staff/orders/{order_id}/history", headers=staff_auth(staff))
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["items"]
