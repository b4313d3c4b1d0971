"""Subscribe messages on the running local stack: a driver accepts the payment template, pays an
order, and the payment message is in the WeChat sandbox's outbox; a message a change left owed
in our outbox is sent by the stack's own sweeper, once."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests
from pynamodb.attributes import UTCDateTimeAttribute

from chalicelib.services.notifications.events import outbox_messages
from tests.e2e.conftest import driver_token, eventually, queues_drained

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


def test_a_message_its_change_left_owed_is_swept_and_sent_once_by_the_stack(stack, api):
    """As if the API had died between a payment's commit and its send: the event is in the
    outbox, older than the grace, and the stack's own minute schedule (the worker fires it)
    sends it; written twice, the driver still gets one message."""
    openid = f"o-e2e-{uuid.uuid4().hex}"
    driver = {"Authorization": f"Bearer {driver_token(stack, openid)}"}
    template_id = stack["wechat"]["template_ids"]["payment_received"]
    requests.post(f"{stack['wechat_url']}/sandbox/subscribe", timeout=5, json={
        "openid": openid, "template_ids": [template_id, template_id]}).raise_for_status()
    me = requests.get(f"{api}/v1/me", headers=driver, timeout=10).json()
    for _ in range(2):  # two messages allowed: a second send would not be stopped by quota
        assert requests.post(f"{api}/v1/subscriptions", headers=driver, timeout=10, json={
            "accepted": [template_id]}).status_code == 200
    order_id = uuid.uuid4().hex
    event = {"kind": "payment_received", "user_id": me["id"], "event_id": f"paid:{order_id}",
             "data": {"station": "太原迎泽加油站", "amount": 20000,
                      "time": datetime.now(timezone.utc)},
             "page": f"pages/order/detail?id={order_id}"}
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=5)
    dynamodb = boto3.client("dynamodb", endpoint_url=stack["dynamodb_endpoint_url"],
                            region_name=stack["aws_region"], aws_access_key_id="local",
                            aws_secret_access_key="local")
    table = f"fuel-{stack['stage']}-outbox"
    owed = outbox_messages([event, event], long_ago)
    for message in owed:
        dynamodb.put_item(TableName=table, Item={
            "message_id": {"S": message.id}, "queue": {"S": str(message.queue)},
            "body": {"S": message.body},
            "created_at": {"S": UTCDateTimeAttribute().serialize(message.created_at)}})

    outbox = f"{stack['wechat_url']}/sandbox/messages"
    (message,) = eventually(lambda: requests.get(outbox, params={"openid": openid},
                                                 timeout=5).json()["items"], bool, 90)
    assert message["page"] == event["page"]
    eventually(lambda: [dynamodb.get_item(TableName=table, Key={"message_id": {"S": m.id}},
                                          ConsistentRead=True).get("Item") for m in owed],
               lambda items: not any(items), 90)
    queues_drained(stack, 60)
    assert len(requests.get(outbox, params={"openid": openid}, timeout=5).json()["items"]) == 1
