"""SQS: every queue of the app by name, its URL looked up once per container, and sending.

Each queue's name comes from settings (per stage, .chalice/config.json) with the stage's default;
a URL given in settings (the devstack's moto server) is used as it is.
"""
from __future__ import annotations

import json
from functools import lru_cache

from chalicelib.providers import aws
from chalicelib.settings import get_settings

BATCH_SIZE = 10  # SendMessageBatch takes at most 10 entries


@aws.one_per_process
def get_sqs():
    return aws.client("sqs")


@lru_cache(maxsize=16)
def queue_url(name: str) -> str:
    """The URL of the queue called `name` (one GetQueueUrl per container and queue)."""
    return get_sqs().get_queue_url(QueueName=name)["QueueUrl"]


def named(setting: str | None, suffix: str) -> str:
    """A queue's name from its setting, or the stage's default `fuel-<stage>-<suffix>`."""
    return setting or f"fuel-{get_settings().stage}-{suffix}"


def send_batch(url: str, bodies: list[str]) -> list[tuple[int, str, bool]]:
    """Send up to 10 message bodies in one call; returns the ones SQS refused as
    (index in `bodies`, its error code, sender_fault), empty when all were queued."""
    if not 0 < len(bodies) <= BATCH_SIZE:
        raise ValueError(f"a batch holds 1-{BATCH_SIZE} messages")
    answer = get_sqs().send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)])
    return [(int(failed["Id"]), failed.get("Code", ""), bool(failed.get("SenderFault")))
            for failed in answer.get("Failed", [])]


def alert_fanout_queue_url() -> str:
    settings = get_settings()
    return settings.alert_fanout_queue_url or queue_url(
        named(settings.alert_fanout_queue_name, "alert-fanout"))


def invoice_queue_url() -> str:
    settings = get_settings()
    return settings.invoice_queue_url or queue_url(named(settings.invoice_queue_name, "invoices"))


def send_invoice_message(body: dict) -> str:
    """Put one message on the invoice queue; returns its MessageId."""
    answer = get_sqs().send_message(QueueUrl=invoice_queue_url(),
                                    MessageBody=json.dumps(body, separators=(",", ":")))
    return answer["MessageId"]


def clear_cache() -> None:
    get_sqs.cache_clear()
    queue_url.cache_clear()
