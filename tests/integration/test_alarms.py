"""The prod package watches itself: every function has an error and a throttle alarm and a log
group with a set retention, every queue an age alarm, every dead-letter queue an alarm on any
message, every alarm notifies the alarm topic (which dev and prod must name), and the business
alarms read exactly the metrics, dimensions included, that chalicelib/metrics.py writes."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib import metrics
from tests.emf import emf_records

# In test_packaging.py's group: one packaging serves them all (see there).
pytestmark = pytest.mark.xdist_group("chalice-package")

FUNCTION, QUEUE = "AWS::Serverless::Function", "AWS::SQS::Queue"


def _of_type(template, kind):
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _alarms(template):
    return [r["Properties"] for r in _of_type(template, "AWS::CloudWatch::Alarm").values()]


def _dims(alarm):
    return {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}


def _alarmed(template, namespace, metric, dimension, value):
    return [a for a in _alarms(template) if a.get("Namespace") == namespace
            and a.get("MetricName") == metric and _dims(a).get(dimension) == value]


def test_every_function_has_an_error_and_a_throttle_alarm(packaged):
    template, _ = packaged
    functions = _of_type(template, FUNCTION)
    assert {"APIHandler", "WebhookHandler", "InvoiceWorker", "ReconcileTradeBill"} <= set(functions)
    for logical in functions:
        for metric in ("Errors", "Throttles"):
            found = _alarmed(template, "AWS/Lambda", metric, "FunctionName", {"Ref": logical})
            assert found and found[0]["Threshold"] == 0, (logical, metric)


def test_every_function_log_group_has_the_retention_parameter(packaged):
    template, _ = packaged
    groups = {g["Properties"]["LogGroupName"]["Fn::Sub"]: g["Properties"]
              for g in _of_type(template, "AWS::Logs::LogGroup").values()}
    for logical in _of_type(template, FUNCTION):
        group = groups[f"/aws/lambda/${{{logical}}}"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    retention = template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 180 and retention["Default"] in retention["AllowedValues"]


def test_every_queue_has_an_age_alarm_and_every_dead_letter_queue_a_message_alarm(packaged):
    template, _ = packaged
    queues = _of_type(template, QUEUE)
    dead_letter = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                   for q in queues.values() if "RedrivePolicy" in q["Properties"]}
    assert dead_letter and dead_letter < set(queues)
    for logical in queues:
        name = {"Fn::GetAtt": [logical, "QueueName"]}
        assert _alarmed(template, "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", name), \
            logical
        visible = _alarmed(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                           "QueueName", name)
        assert bool(visible) == (logical in dead_letter), logical
        assert all(a["Threshold"] == 0 for a in visible)


def test_every_alarm_notifies_the_topic_that_dev_and_prod_must_name(packaged):
    template, _ = packaged
    alarms = _alarms(template)
    assert len(alarms) > 30
    for alarm in alarms:
        assert "AlarmTopicArn" in json.dumps(alarm["AlarmActions"]), alarm["AlarmName"]
    rule = template["Rules"]["AlarmTopicRequired"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Stage"}, "local"]}]}
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}


def test_the_api_5xx_rate_alarm_reads_the_stage_api(packaged):
    template, _ = packaged
    alarm = template["Resources"]["Api5xxRateAlarm"]["Properties"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert names == {"5XXError", "Count"}
    assert 0 < alarm["Threshold"] < 1


@pytest.mark.parametrize("metric, dimension", [
    (metrics.Metric.WEBHOOK_REJECTED, {"reason": metrics.NOT_VERIFIED}),
    (metrics.Metric.REFUNDS_FAILED, {"status": "ABNORMAL"}),
    (metrics.Metric.RECONCILIATION_OPEN, {}),
    (metrics.Metric.INVOICES_FAILED, {}),
    (metrics.Metric.OUTBOX_LEFT, {}),
])
def test_business_alarms_match_what_the_code_writes(packaged, capsys, metric, dimension):
    template, _ = packaged
    metrics.count(metric, **dimension)
    (doc,) = emf_records(capsys.readouterr().out)
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    written = {name: doc[name] for group in directive["Dimensions"] for name in group}
    found = [a for a in _alarms(template) if a.get("Namespace") == directive["Namespace"]
             and a.get("MetricName") == str(metric)]
    assert len(found) == 1
    alarmed = _dims(found[0])
    assert alarmed.pop("stage") == {"Ref": "Stage"} and written.pop("stage") == "local"
    assert alarmed == written


def test_the_dashboard_shows_every_function_and_queue(packaged):
    template, _ = packaged
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    assert len(widgets) >= 10
    for logical in [*_of_type(template, FUNCTION), *_of_type(template, QUEUE)]:
        assert f"${{{logical}" in body, logical
    for metric in metrics.Metric:
        assert f'"{metric}"' in body or f'\\"{metric}\\"' in body, metric


def test_functions_are_traced(packaged):
    template, _ = packaged
    for logical, function in _of_type(template, FUNCTION).items():
        assert function["Properties"]["Tracing"] == "Active", logical
    assert template["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is True
