"""E2E tier: the local stack (tests/local_stack.py), spoken to over HTTP only."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import boto3
import pytest
import requests

from chalicelib.domain.times import SHANGHAI
# The e2e tests import these helpers from here.
from tests.local_stack import driver_token, eventually, running_stack, staff_token  # noqa: F401


@pytest.fixture(scope="session")
def api(stack):
    return stack["api_url"]


def fire_schedule(stack, name: str, at: datetime | None = None) -> dict:
    """Run one of the app's schedules now, in the stack, as if fired at `at` (default: now), and
    return what its handler returned."""
    body = {"time": at.strftime("%Y-%m-%dT%H:%M:%SZ")} if at else None
    answer = requests.post(f"{stack['jobs_url']}/schedules/{name}/run", json=body, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def queues_drained(stack, timeout_s=30.0) -> None:
    """Wait until the worker has handled every message of the stack's queues: none waiting,
    none in flight (the worker deletes a message once its handler returned, and a handler
    queues what follows before it returns). Whatever the requests so far set off has then
    happened, so a test can assert that something did not. Dead-letter queues aside."""
    sqs = boto3.client("sqs", endpoint_url=stack["aws_endpoint_url"],
                       region_name=stack["aws_region"], aws_access_key_id="local",
                       aws_secret_access_key="local")
    urls = [url for url in sqs.list_queues(QueueNamePrefix=f"fuel-{stack['stage']}-")["QueueUrls"]
            if not url.endswith("-dlq")]
    counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
              "ApproximateNumberOfMessagesDelayed")

    def pending() -> dict:
        return {url: sum(int(n) for n in sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=list(counts))["Attributes"].values())
                for url in urls}

    eventually(pending, lambda by_queue: not any(by_queue.values()), timeout_s)


def business_day(margin: timedelta = timedelta(minutes=3)) -> datetime:
    """Now in Asia/Shanghai, waited out when the day ends within `margin`: the worker reconciles
    yesterday by the wall clock, and it must not take a test's day before the test does."""
    now = datetime.now(SHANGHAI)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight - now < margin:
        time.sleep((midnight - now).total_seconds() + 5)
    return datetime.now(SHANGHAI)
