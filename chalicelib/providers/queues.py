"""SQS: the invoice work queue. The URL comes from settings or is looked up once by name."""
from __future__ import annotations

import json
from functools import lru_cache

from chalicelib.settings import get_settings


@lru_cache(maxsize=1)
def get_sqs():
    import boto3  # imported on first use, not at Lambda start
    from botocore.config import Config

    settings = get_settings()
    config = Config(connect_timeout=settings.http_connect_timeout_s,
                    read_timeout=settings.http_read_timeout_s, retries={"max_attempts": 3})
    return boto3.client("sqs", region_name=settings.aws_region,
                        endpoint_url=settings.aws_endpoint_url, config=config)


@lru_cache(maxsize=1)
def invoice_queue_url() -> str:
    settings = get_settings()
    if settings.invoice_queue_url:
        return settings.invoice_queue_url
    name = settings.invoice_queue_name or f"fuel-{settings.stage}-invoices"
    return get_sqs().get_queue_url(QueueName=name)["QueueUrl"]


def send_invoice_message(body: dict) -> str:
    """Put one message on the invoice queue; returns its MessageId."""
    answer = get_sqs().send_message(QueueUrl=invoice_queue_url(),
                                    MessageBody=json.dumps(body, separators=(",", ":")))
    return answer["MessageId"]


def clear_cache() -> None:
    get_sqs.cache_clear()
    invoice_queue_url.cache_clear()
