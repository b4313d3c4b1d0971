"""E2E tier: the local stack (tests/local_stack.py), spoken to over HTTP only."""
from __future__ import annotations

import boto3
import pytest
import requests

# The e2e tests import these helpers from here.
from tests.local_stack import driver_token, eventually, staff_token  # noqa: F401


@pytest.fixture(scope="session")
def api(stack):
    return stack["api_url"]


def fire_schedule(stack, name: str) -> dict:
    """Run one of the app's schedules now, in the stack, and return what its handler returned."""
    answer = requests.post(f"{stack['jobs_url']}/schedules/{name}/run", timeout=120)
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
