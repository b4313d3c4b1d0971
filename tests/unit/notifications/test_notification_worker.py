"""The notifier Lambda through the app's real handler, with SQS events built by hand (each record
its own messageId), the WeChat sandbox on loopback and moto."""
from __future__ import annotations

import json
import uuid

import pytest

from app import notification_worker
from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.jobs import notifications as jobs
from chalicelib.services.notifications import events as notifications, subscriptions
from devstack.worker import LambdaContext
from tests.unit.notifications.fixtures import TEMPLATE_IDS, payment_event

ARN = "arn:aws:sqs:cn-north-1:123456789012:fuel-local-notifications"


@pytest.fixture(autouse=True)
def one_record_at_a_time(monkeypatch):
    """moto does not make a conditional write atomic across threads; the concurrent case runs
    on DynamoDB Local (tests/integration/test_notification_quota.py)."""
    monkeypatch.setattr(jobs, "MAX_PARALLEL", 1)


def sqs_event(*records: tuple[str, str]) -> dict:
    return {"Records": [{
        "messageId": message_id, "receiptHandle": f"rh-{uuid.uuid4().hex}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": ARN,
        "awsRegion": "cn-north-1"} for message_id, body in records]}


def run(*records) -> list[str]:
    answer = notification_worker(sqs_event(*records), LambdaContext("notification_worker"))
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def body(event: dict) -> str:
    return notifications._body(notifications.decode_event(event))


def test_a_batch_sends_each_event_and_reports_only_those_to_retry(wechat, driver):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    subscriptions.accept(driver.id, [TEMPLATE_IDS[sm.PAYMENT_RECEIVED]])
    subscriptions.accept(driver.id, [TEMPLATE_IDS[sm.PAYMENT_RECEIVED]])
    wechat.fail_next(45009)  # the first send to reach WeChat is throttled

    failed = run(("m-1", body(payment_event(driver.id))), ("m-2", body(payment_event(driver.id))),
                 ("m-3", "not json"), ("m-4", json.dumps({"kind": "payment_received"})))

    # The throttled send comes again, and so do the two bodies that are no event: the
    # dead-letter queue keeps them for a person instead of dropping them.
    assert len(failed) == 3 and failed[0] in ("m-1", "m-2") and failed[1:] == ["m-3", "m-4"]
    assert len(wechat.messages(driver.openid)) == 1


def test_the_same_event_in_two_messages_sends_once(wechat, driver):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED, sm.PAYMENT_RECEIVED)
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    for _ in range(2):
        subscriptions.accept(driver.id, [TEMPLATE_IDS[sm.PAYMENT_RECEIVED]])
    event = body(payment_event(driver.id))

    assert run(("m-1", event), ("m-2", event)) == []

    assert len(wechat.messages(driver.openid)) == 1
