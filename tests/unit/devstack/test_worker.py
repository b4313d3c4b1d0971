"""The local worker hands SQS messages and schedules to handlers exactly as Lambda would."""
from __future__ import annotations

import json
import threading
import time

import boto3
import pytest
from chalice import Chalice, Rate
from moto import mock_aws

from devstack import worker

received: list[dict] = []
ticks: list[dict] = []

demo = Chalice(app_name="worker-demo")


@demo.on_sqs_message(queue="demo-queue", batch_size=5)
def consume(event):
    failures = []
    for record in event:
        body = json.loads(record.body)
        if body.get("fail"):
            failures.append({"itemIdentifier": record.to_dict()["messageId"]})
        else:
            received.append(body)
    return {"batchItemFailures": failures}


@demo.schedule(Rate(1, unit=Rate.MINUTES))
def every_minute(event):
    ticks.append(event.to_dict())


@pytest.fixture
def sqs():
    received.clear()
    ticks.clear()
    with mock_aws():
        client = boto3.client("sqs", region_name="cn-north-1")
        dlq = client.create_queue(QueueName="demo-dlq")["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        url = client.create_queue(QueueName="demo-queue", Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        })["QueueUrl"]
        yield client, url, dlq


def _source(kind):
    return next(s for s in demo.event_sources if isinstance(s, kind))


def test_messages_reach_the_handler_and_are_deleted(sqs, monkeypatch):
    client, url, _ = sqs
    monkeypatch.setattr(worker, "resolve_handler", lambda _: consume)
    for n in range(3):
        client.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))

    accepted = worker.deliver_once(client, _source(worker.SQSEventConfig), url, "arn:q",
                                   "cn-north-1", wait_s=0)

    assert accepted == 3
    assert sorted(m["n"] for m in received) == [0, 1, 2]
    assert "Messages" not in client.receive_message(QueueUrl=url)


def test_failed_items_stay_and_end_in_the_dead_letter_queue(sqs, monkeypatch):
    client, url, dlq = sqs
    monkeypatch.setattr(worker, "resolve_handler", lambda _: consume)
    client.send_message(QueueUrl=url, MessageBody=json.dumps({"fail": True}))
    client.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}))

    for _ in range(4):
        worker.deliver_once(client, _source(worker.SQSEventConfig), url, "arn:q", "cn-north-1",
                            wait_s=0)

    assert received == [{"n": 1}]
    dead = client.receive_message(QueueUrl=dlq).get("Messages", [])
    assert [json.loads(m["Body"]) for m in dead] == [{"fail": True}]


def test_schedules_fire_with_a_scheduled_event(monkeypatch):
    ticks.clear()
    monkeypatch.setattr(worker, "resolve_handler", lambda _: every_minute)

    worker.fire_schedule(_source(worker.ScheduledEventConfig), "cn-north-1")

    assert ticks and ticks[0]["detail-type"] == "Scheduled Event"


def test_run_loop_fires_schedules_and_drains_queues(sqs, monkeypatch):
    client, url, _ = sqs
    monkeypatch.setattr(worker, "resolve_handler",
                        lambda s: consume if s.endswith("consume") else every_minute)
    client.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 7}))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(demo, stop),
                              kwargs={"schedule_every_s": 0.1})
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (received and len(ticks) >= 2):
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=5)

    assert received == [{"n": 7}]
    assert len(ticks) >= 2


def test_rate_expressions_give_their_period():
    assert worker.period_s("rate(1 minute)") == 60
    assert worker.period_s("rate(5 minutes)") == 300
    assert worker.period_s(Rate(2, unit=Rate.HOURS)) == 7200
