"""Alarms, log retention and tracing of the packaged template (docs/operations.md says what each
alarm means and what to do; docs/decisions.md, 2026-12-06, why these thresholds).

Applied after `chalice package`, on what the template holds then: every Lambda function Chalice
packages (and the webhook copy of infra/throttling.py) gets an error and a throttle alarm and a
log group with the retention of the LogRetentionDays parameter; every SQS queue an alarm on the
age of its oldest message; every dead-letter queue (a queue some redrive policy names) an alarm
on any message in it. A new function or queue is covered without editing this file.
The business alarms read the EMF metrics of chalicelib/metrics.py.
"""
from __future__ import annotations

from chalicelib.metrics import NAMESPACE, NOT_VERIFIED, SERVICE, Metric

FUNCTION = "AWS::Serverless::Function"
QUEUE = "AWS::SQS::Queue"
ALARM = "AWS::CloudWatch::Alarm"
FIVE_MINUTES = 300

# A queue whose oldest message waits longer than this is not being worked off.
QUEUE_AGE_S = 900
# API: more than 5% of requests answered 5xx in two 5-minute windows out of three, once the
# window holds at least API_MIN_REQUESTS (a single failed request of a quiet night is no page;
# its Lambda error alarm or logs tell it).
API_5XX_RATE = 0.05
API_MIN_REQUESTS = 20
# Unverifiable WeChat Pay notifications per 5 minutes: a few are normal (probes, replays of old
# notifications after a key rotation); more is an attack or a broken key.
WEBHOOK_UNVERIFIED_PER_5_MIN = 10
# Minutes in a row the outbox sweeper (every minute) may leave owed messages unsent before someone
# is told: a short SQS hiccup heals by itself, ten minutes of it delays drivers' messages visibly.
OUTBOX_LEFT_MINUTES = 10

# Days each function's log group keeps its logs, per stage (the LogRetentionDays default).
# Six months on prod: the Cybersecurity Law of the PRC (art. 21) asks for at least six months of
# network logs.
LOG_RETENTION_DAYS = {"dev": 30, "prod": 180}


def apply(template: dict, stage: str) -> None:
    _parameters(template, stage)
    resources = template["Resources"]
    new: dict[str, dict] = {}
    for logical, resource in list(resources.items()):
        if resource["Type"] == FUNCTION:
            new.update(_function_alarms(logical))
            new[f"{logical}LogGroup"] = _log_group(logical)
    dead_letter = _dead_letter_queues(resources)
    for logical, resource in resources.items():
        if resource["Type"] == QUEUE:
            new[f"{logical}AgeAlarm"] = _queue_age_alarm(logical, resource, logical in dead_letter)
            if logical in dead_letter:
                new[_dlq_alarm_name(logical)] = _dlq_alarm(logical, resource)
    new.update(_api_alarm())
    new.update(_business_alarms())
    for logical, resource in new.items():
        resources.setdefault(logical, resource)  # a hand-written one in infra/ wins
    _tracing(resources)


def _parameters(template: dict, stage: str) -> None:
    """LogRetentionDays, and the rule that refuses a deploy of dev or prod whose alarms would
    notify no one."""
    template["Parameters"]["LogRetentionDays"] = {
        "Type": "Number", "Default": LOG_RETENTION_DAYS.get(stage, 30),
        "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827,
                          3653],
        "Description": "Days each function's log group keeps its logs."}
    template.setdefault("Rules", {})["AlarmTopicRequired"] = {
        "RuleCondition": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Stage"}, "local"]}]},
        "Assertions": [{
            "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]},
            "AssertDescription": "AlarmTopicArn is required outside the local stage, so that "
                                 "alarms reach someone."}]}


def alarm(name: str, description: str, **properties) -> dict:
    """An alarm that notifies the stage's topic when it fires and when it clears."""
    actions = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    return {"Type": ALARM, "Properties": {
        "AlarmName": {"Fn::Sub": f"fuel-${{Stage}}-{name}"}, "AlarmDescription": description,
        "ActionsEnabled": True, "AlarmActions": actions, "OKActions": actions,
        "TreatMissingData": "notBreaching", **properties}}


def _metric(namespace: str, name: str, dimensions: dict, statistic: str = "Sum",
            period: int = FIVE_MINUTES) -> dict:
    return {"Namespace": namespace, "MetricName": str(name), "Statistic": statistic, "Period": period,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]}


def _function_alarms(logical: str) -> dict:
    dims = {"FunctionName": {"Ref": logical}}
    return {
        f"{logical}ErrorsAlarm": alarm(
            f"{logical}-errors", f"The {logical} function raised or timed out.",
            **_metric("AWS/Lambda", "Errors", dims), EvaluationPeriods=1, Threshold=0,
            ComparisonOperator="GreaterThanThreshold"),
        f"{logical}ThrottlesAlarm": alarm(
            f"{logical}-throttles", f"Invocations of {logical} were refused for concurrency.",
            **_metric("AWS/Lambda", "Throttles", dims), EvaluationPeriods=1, Threshold=0,
            ComparisonOperator="GreaterThanThreshold"),
    }


def _log_group(logical: str) -> dict:
    return {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{logical}}}"},
                           "RetentionInDays": {"Ref": "LogRetentionDays"}}}


def _dead_letter_queues(resources: dict) -> set[str]:
    named = set()
    for resource in resources.values():
        if resource["Type"] == QUEUE:
            target = resource.get("Properties", {}).get("RedrivePolicy", {}).get(
                "deadLetterTargetArn", {})
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                named.add(target["Fn::GetAtt"][0])
    return named


def _dlq_alarm_name(logical: str) -> str:
    # InvoiceDeadLetterQueue -> InvoiceDeadLetterAlarm (the name infra/ first gave them).
    return logical[:-len("Queue")] + "Alarm" if logical.endswith("Queue") else logical + "Alarm"


def _queue_label(resource: dict, logical: str) -> str:
    name = resource.get("Properties", {}).get("QueueName", {})
    text = name.get("Fn::Sub", "") if isinstance(name, dict) else str(name)
    return text.replace("fuel-${Stage}-", "") or logical


def _queue_age_alarm(logical: str, resource: dict, dead_letter: bool) -> dict:
    dims = {"QueueName": {"Fn::GetAtt": [logical, "QueueName"]}}
    label = _queue_label(resource, logical)
    if dead_letter:
        # A dead-letter message is already alarmed on arrival; this one says it is about to
        # expire unhandled (half its retention).
        retention = int(resource.get("Properties", {}).get("MessageRetentionPeriod", 345600))
        threshold, what = retention // 2, "half its retention: it expires unhandled soon"
    else:
        threshold, what = QUEUE_AGE_S, f"{QUEUE_AGE_S} s: the queue is not being worked off"
    return alarm(f"{label}-oldest-message-age",
                 f"The oldest message of {label} has waited more than {what}.",
                 **_metric("AWS/SQS", "ApproximateAgeOfOldestMessage", dims, "Maximum"),
                 EvaluationPeriods=1, Threshold=threshold, ComparisonOperator="GreaterThanThreshold")


def _dlq_alarm(logical: str, resource: dict) -> dict:
    dims = {"QueueName": {"Fn::GetAtt": [logical, "QueueName"]}}
    label = _queue_label(resource, logical)
    return alarm(f"{label}-not-empty",
                 f"A message failed repeatedly and waits in the dead-letter queue {label}.",
                 **_metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, "Maximum", 60),
                 EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")


def _api_alarm() -> dict:
    dims = [{"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}},
            {"Name": "Stage", "Value": "api"}]

    def stat(name: str) -> dict:
        return {"Metric": {"Namespace": "AWS/ApiGateway", "MetricName": name,
                           "Dimensions": dims}, "Period": FIVE_MINUTES, "Stat": "Sum"}
    return {"Api5xxRateAlarm": alarm(
        "api-5xx-rate",
        f"More than {API_5XX_RATE:.0%} of API requests answered 5xx (at least "
        f"{API_MIN_REQUESTS} requests in 5 minutes), in 2 of the last 3 windows.",
        EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=API_5XX_RATE,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[{"Id": "errors", "MetricStat": stat("5XXError"), "ReturnData": False},
                 {"Id": "requests", "MetricStat": stat("Count"), "ReturnData": False},
                 {"Id": "rate", "Label": "5xx rate", "ReturnData": True,
                  "Expression": f"IF(requests >= {API_MIN_REQUESTS}, errors / requests, 0)"}])}


def business_dimensions(**extra: str) -> dict:
    return {"service": SERVICE, "stage": {"Ref": "Stage"}, **extra}


def _business_alarms() -> dict:
    return {
        "WebhookUnverifiedAlarm": alarm(
            "webhook-signature-rejections",
            f"More than {WEBHOOK_UNVERIFIED_PER_5_MIN} WeChat Pay notifications in 5 minutes "
            "failed their signature or decryption.",
            **_metric(NAMESPACE, Metric.WEBHOOK_REJECTED,
                      business_dimensions(reason=NOT_VERIFIED)),
            EvaluationPeriods=1, Threshold=WEBHOOK_UNVERIFIED_PER_5_MIN,
            ComparisonOperator="GreaterThanThreshold"),
        "RefundAbnormalAlarm": alarm(
            "refund-abnormal", "A refund ended ABNORMAL: the money did not reach the driver.",
            **_metric(NAMESPACE, Metric.REFUNDS_FAILED, business_dimensions(status="ABNORMAL")),
            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold"),
        "ReconciliationOpenAlarm": alarm(
            "reconciliation-open-differences",
            "The day's reconciliation finished with differences left open for people.",
            **_metric(NAMESPACE, Metric.RECONCILIATION_OPEN, business_dimensions(),
                      "Maximum", 3600),
            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold"),
        "OutboxLeftAlarm": alarm(
            "outbox-messages-left",
            f"For {OUTBOX_LEFT_MINUTES} minutes in a row the outbox sweeper found messages owed "
            "to drivers, fan-outs or campaigns that SQS would not take.",
            **_metric(NAMESPACE, Metric.OUTBOX_LEFT, business_dimensions(), "Minimum", 60),
            EvaluationPeriods=OUTBOX_LEFT_MINUTES, Threshold=0,
            ComparisonOperator="GreaterThanThreshold"),
        "InvoiceFailedAlarm": alarm(
            "invoice-failed", "An invoice ended FAILED at the issuer.",
            **_metric(NAMESPACE, Metric.INVOICES_FAILED, business_dimensions()),
            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold"),
    }


def _tracing(resources: dict) -> None:
    """X-Ray: API Gateway traces requests; each function's own role (infra/roles.py) already
    grants the X-Ray write actions its traces need."""
    resources["RestAPI"]["Properties"]["TracingEnabled"] = True
