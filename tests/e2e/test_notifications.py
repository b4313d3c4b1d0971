"""Subscribe messages on the running local stack, over HTTP only: a driver accepts the payment
template, pays an order, and the payment message is in the WeChat sandbox's outbox."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.conftest import driver_token, eventually

STATION = "ty-001"

pytestmark = pytest.mark.slow



def test_an_accepted_payment_template_brings_the_payment_message(stack, api):
    openid = f"o-e2e-{uuid.uuid4().hex}"
    driver = {"Authorization": f"Bearer {driver_token(stack, openid)}"}
    template_id = stack["wechat"]["template_ids"]["payment_received"]
    # The driver taps "allow" (WeChat's side), and the mini-program reports it (ours).
    requests.post(f"{stack['wechat_url']}/sandbox/subscribe", timeout=5,
                  json={"openid": openid, "template_ids": [template_id]}).raise_for_status()
    accepted = requests.post(f"{api}/v1/subscriptions", headers=driver, timeout=10,
                             json={"accepted": [template_id]})
    assert accepted.status_code == 200, accepted.text
    assert {q["kind"]: q["remaining"] for q in accepted.json()["quotas"]}["payment_received"] == 1

    created = requests.post(f"{api}/v1/orders", timeout=30, headers={
        **driver, "Idempotency-Key": str(uuid.uuid4())}, json={
        "station_id": STATION, "nozzle_no": 1, "amount_fen": 20000, "grade": "92"})
    assert created.status_code == 201, created.text
    order, payment = created.json()["order"], created.json()["payment"]
    requests.post(f"{stack['wechatpay_url']}/sandbox/pay", timeout=10,
                  json={"prepay_id": payment["package"].split("=", 1)[1]}).raise_for_status()

    outbox = f"{stack['wechat_url']}/sandbox/messages"
    messages = eventually(lambda: requests.get(outbox, params={"openid": openid},
                                                timeout=5).json()["items"], bool)
    (message,) = messages
    assert message["template_id"] == template_id
    assert message["page"] == f"pages/order/detail?id={order['id']}"
    fen = order["pay_amount_fen"]
    assert message["data"]["amount2"]["value"] == f"¥{fen // 100}.{fen % 100:02d}"
    quotas = requests.get(f"{api}/v1/subscriptions", headers=driver, timeout=10).json()["quotas"]
    assert {q["kind"]: q["remaining"] for q in quotas}["payment_received"] == 0
