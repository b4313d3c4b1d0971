"""The stage's CloudWatch dashboard `fuel-<stage>`: the figures the alarms of infra/alarms.py
watch, side by side (docs/operations.md). Built from what the packaged template holds, so a new
function or queue appears on it without editing this file."""
from __future__ import annotations

import json

from chalicelib.metrics import NAMESPACE, SERVICE, Metric

WIDTH, HEIGHT = 12, 6
STAGE = "${Stage}"  # resolved by the Fn::Sub around the whole body


def apply(template: dict) -> None:
    resources = template["Resources"]
    functions = sorted(k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function")
    queues = sorted(k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue")
    widgets = [
        _business("Orders", [Metric.ORDERS_CREATED, Metric.ORDERS_PAID]),
        _business("Paid amount (fen)", [Metric.PAYMENT_AMOUNT_FEN]),
        _business("Refunds", [Metric.REFUNDS_REQUESTED, Metric.REFUNDS_SUCCEEDED],
                  searches={Metric.REFUNDS_FAILED: "status"}),
        _business("Invoices", [Metric.INVOICES_ISSUED, Metric.INVOICES_FAILED]),
        _business("Payment webhook rejections", [], searches={Metric.WEBHOOK_REJECTED: "reason"}),
        _business("Reconciliation differences", [Metric.RECONCILIATION_OPEN],
                  searches={Metric.RECONCILIATION_DIFFERENCES: "kind"}, period=86400),
        _business("Outbox: owed messages SQS did not take", [Metric.OUTBOX_LEFT]),
        _business("Subscribe messages", [Metric.NOTIFICATIONS_SENT],
                  searches={Metric.NOTIFICATIONS_SKIPPED: "reason"}),
        _widget("API requests and 5xx", [
            ["AWS/ApiGateway", "Count", "ApiName", "${AWS::StackName}", "Stage", "api"],
            [".", "5XXError", ".", ".", ".", "."], [".", "4XXError", ".", ".", ".", "."]]),
        _widget("Function errors", [["AWS/Lambda", "Errors", "FunctionName", f"${{{f}}}",
                                     {"label": f}] for f in functions]),
        _widget("Function throttles", [["AWS/Lambda", "Throttles", "FunctionName", f"${{{f}}}",
                                        {"label": f}] for f in functions]),
        _widget("Oldest message age (s)", [
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", f"${{{q}.QueueName}}",
             {"label": q}] for q in queues], stat="Maximum"),
        _widget("Messages waiting", [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
             f"${{{q}.QueueName}}", {"label": q}] for q in queues], stat="Maximum"),
    ]
    for n, widget in enumerate(widgets):
        widget.update(x=(n % 2) * WIDTH, y=(n // 2) * HEIGHT, width=WIDTH, height=HEIGHT)
    resources["Dashboard"] = {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": {"Fn::Sub": "fuel-${Stage}"},
        "DashboardBody": {"Fn::Sub": json.dumps({"widgets": widgets}, separators=(",", ":"))}}}


def _widget(title: str, metrics: list, *, stat: str = "Sum", period: int = 300) -> dict:
    return {"type": "metric", "properties": {
        "title": title, "region": "${AWS::Region}", "view": "timeSeries", "stat": stat,
        "period": period, "metrics": metrics}}


def _business(title: str, names: list, *, searches: dict | None = None,
              period: int = 300) -> dict:
    """Metrics of chalicelib/metrics.py; those with a dimension shown one line per value."""
    lines: list = [[NAMESPACE, str(name), "service", SERVICE, "stage", STAGE] for name in names]
    for n, (name, dimension) in enumerate((searches or {}).items()):
        query = (f"SEARCH('{{{NAMESPACE},{dimension},service,stage}} MetricName=\"{name}\" "
                 f"stage=\"{STAGE}\"', 'Sum', {period})")
        lines.append([{"expression": query, "id": f"s{n}", "label": ""}])
    return _widget(title, lines, period=period)
