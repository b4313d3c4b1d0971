"""Alerts on moto: the tables and the queues of infra/, a station, and queue readers."""
from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.store.stations import stations as station_store
from tests.conftest import reset_caches
from tests.moto_aws import queues_and_buckets
from tests.station_factory import make_station

REGION = "cn-north-1"


class Queues:
    def __init__(self, resources: dict):
        self.resources = resources
        self.sqs = boto3.client("sqs", region_name=REGION)

    def take(self, logical: str) -> list[dict]:
        """Take every message waiting on a queue of infra/ (bodies as JSON)."""
        url, taken = self.resources[logical]["Ref"], []
        while True:
            found = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not found:
                return taken
            for message in found:
                taken.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def fanout(self) -> list[dict]:
        return self.take("AlertFanoutQueue")

    def notifications(self) -> list[dict]:
        return self.take("NotificationQueue")


@pytest.fixture
def queues(aws, monkeypatch):
    resources = queues_and_buckets()
    reset_caches()
    return Queues(resources)


@pytest.fixture
def station(aws):
    s = make_station("ty-alert-1")
    station_store.put_station(s)
    return s
