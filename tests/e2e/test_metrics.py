"""Done when of issue 19: an order's journey on the local stack (create, pay in the WeChat Pay
sandbox, confirm less than was paid, the difference refunded) leaves its business metrics as
EMF lines in the functions' log, as CloudWatch would read them."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import driver_token, eventually, staff_token
from tests.emf import metric_values

STATION = "ty-001"
AMOUNT_FEN = 23456  # paid in full: an amount no other test pays, to find this journey's figure
WAIT_S = 120.0

pytestmark = pytest.mark.slow


def _log_since(path: Path, offset: int) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        fh.seek(offset)
        return fh.read()


def test_an_order_journey_leaves_emf_metrics_in_the_function_log(stack, api):
    log_path = Path(stack["log_path"])
    start = log_path.stat().st_size
    driver = {"Authorization": f"Bearer {driver_token(stack, f'o-emf-{uuid.uuid4().hex}')}"}
    created = requests.post(f"{api}/v1/orders", timeout=60, headers={
        **driver, "Idempotency-Key": uuid.uuid4().hex},
        json={"station_id": STATION, "nozzle_no": 1, "amount_fen": AMOUNT_FEN, "grade": "92"})
    assert created.status_code == 201, created.text
    order, payment = created.json()["order"], created.json()["payment"]
    paid = requests.post(f"{stack['wechatpay_url']}/sandbox/pay", timeout=30,
                         json={"prepay_id": payment["package"].removeprefix("prepay_id=")})
    assert paid.status_code == 200, paid.text
    eventually(lambda: requests.get(f"{api}/v1/orders/{order['id']}", headers=driver,
                                    timeout=30).json(),
               lambda o: o.get("status") == "PAID", WAIT_S)
    token, _ = staff_token(stack, "manager")
    confirmed = requests.post(f"{api}/v1/staff/orders/{order['id']}/confirm", timeout=60,
                              headers={"Authorization": f"Bearer {token}"},
                              json={"actual_amount_fen": AMOUNT_FEN - 3456})
    assert confirmed.status_code == 200, confirmed.text

    # The settlement refund succeeds when the sandbox settles it and notifies the webhook.
    log = eventually(lambda: _log_since(log_path, start),
                     lambda text: metric_values(text, "RefundsSucceeded", stage="local"), WAIT_S)
    assert metric_values(log, "OrdersCreated", stage="local", service="fuel")
    assert metric_values(log, "OrdersPaid", stage="local", service="fuel")
    assert float(order["pay_amount_fen"]) in metric_values(log, "PaymentAmountFen", stage="local")
    assert metric_values(log, "RefundsRequested", stage="local")
    assert '"CloudWatchMetrics":[{"Namespace":"Fuel"' in log
