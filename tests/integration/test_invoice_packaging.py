"""The deployed invoice pipeline: the worker reports partial batch failures, reads the queue of
infra/ (whose visibility timeout exceeds the worker's timeout and whose repeat failures go to the
alarmed dead-letter queue), and the sweeper runs every minute."""
from __future__ import annotations

import json

import pytest

# In test_packaging.py's group: one packaging serves them all (see there).
pytestmark = pytest.mark.xdist_group("chalice-package")


@pytest.fixture(scope="module")
def resources(packaged):
    template, _ = packaged
    return template["Resources"]


def _worker_event(resources) -> dict:
    (event,) = resources["InvoiceWorker"]["Properties"]["Events"].values()
    return event


def test_worker_reports_batch_item_failures_from_the_infra_queue(resources):
    event = _worker_event(resources)

    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["InvoiceQueue", "Arn"]}
    assert event["Properties"]["BatchSize"] == 10


def test_queue_outlives_the_worker_timeout_and_feeds_an_alarmed_dead_letter_queue(resources):
    worker_timeout = resources["InvoiceWorker"]["Properties"]["Timeout"]
    queue = resources["InvoiceQueue"]["Properties"]
    alarm = resources["InvoiceDeadLetterAlarm"]["Properties"]

    assert queue["VisibilityTimeout"] >= 6 * worker_timeout
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["InvoiceDeadLetterQueue", "Arn"]}
    assert 1 < queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["InvoiceDeadLetterQueue",
                                                               "QueueName"]}


def test_sweeper_runs_every_minute_with_the_worker_timeout(resources):
    sweeper = resources["InvoiceSweeper"]["Properties"]
    (event,) = sweeper["Events"].values()

    assert event["Properties"]["Schedule"] == "rate(1 minute)"
    assert sweeper["Timeout"] == 60


def test_the_invoice_functions_may_use_the_invoice_table_queue_and_bucket(resources):
    for function in ("InvoiceWorker", "InvoiceSweeper"):
        role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        granted = {}
        for statement in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
            listed = statement["Resource"]
            for resource in listed if isinstance(listed, list) else [listed]:
                granted.setdefault(json.dumps(resource), set()).update(statement["Action"])

        table = json.dumps({"Fn::GetAtt": ["InvoicesTable", "Arn"]})
        assert {"dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:PutItem"} <= granted[table]
        assert "dynamodb:Query" in granted[json.dumps({"Fn::Sub": "${InvoicesTable.Arn}/index/*"})]
        assert {"sqs:SendMessage", "sqs:GetQueueUrl"} <= granted[
            json.dumps({"Fn::GetAtt": ["InvoiceQueue", "Arn"]})]
        assert {"s3:PutObject", "s3:GetObject"} <= granted[
            json.dumps({"Fn::Sub": "${InvoiceBucket.Arn}/*"})]
