"""moto, patched by the local stack to skip work that answers nothing, still answers as SQS:
retention, delays, visibility and the dead-letter queue hold as before."""
from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from devstack import moto_speedups


@pytest.fixture
def sqs():
    assert moto_speedups.apply(), "moto's internals moved on: devstack/moto_speedups.py no " \
                                  "longer finds what it replaces"
    with mock_aws():
        yield boto3.client("sqs", region_name="cn-north-1")


def _queue(sqs, name: str, **attributes) -> str:
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in
                                                        attributes.items()})["QueueUrl"]


def _receive(sqs, url: str, **kwargs) -> list[str]:
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                   WaitTimeSeconds=0, **kwargs).get(
        "Messages", [])]


def _age_messages(url: str, seconds: int) -> None:
    """Make the queue's messages look sent `seconds` earlier (moto keeps them in memory)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[DEFAULT_ACCOUNT_ID]["cn-north-1"].queues[url.rsplit("/", 1)[1]]
    for message in queue._messages:
        message.sent_timestamp -= seconds * 1000


def test_a_message_within_its_retention_is_received(sqs):
    url = _queue(sqs, "kept", MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    _age_messages(url, 30)
    assert _receive(sqs, url) == ["fresh"]


def test_a_message_past_its_retention_is_not_received(sqs):
    url = _queue(sqs, "expiring", MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="stale")
    _age_messages(url, 61)
    assert _receive(sqs, url) == []


def test_a_delayed_message_waits_and_a_received_one_stays_invisible(sqs):
    url = _queue(sqs, "timed")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    assert _receive(sqs, url, VisibilityTimeout=300) == ["now"]
    assert _receive(sqs, url) == []
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesDelayed"],
            counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1", "1")


def test_repeated_failures_still_move_a_message_to_the_dead_letter_queue(sqs):
    dlq = _queue(sqs, "dead")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = _queue(sqs, "work", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    assert _receive(sqs, url, VisibilityTimeout=0) == ["poison"]
    assert _receive(sqs, url) == []
    assert _receive(sqs, dlq) == ["poison"]
