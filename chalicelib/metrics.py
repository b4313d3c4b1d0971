"""Business metrics as CloudWatch embedded metric format (EMF) lines: no API call, CloudWatch
reads them from the function's log (docs/operations.md, docs/decisions.md 2026-12-06).

The one home of the namespace, the metric names and their dimensions. Use cases call `count` or
`amount` where a fact has just become true (after its write); the invocation wrapper
(chalicelib/invocation.py) writes what one invocation gathered with `flush`. Outside an
invocation (a script, a test) each metric is written at once.

Dimensions are few and bounded: `service` and `stage` on every metric, plus `kind` / `reason` /
`status` where the metric names it below. Never a user, order or station id.
"""
from __future__ import annotations

import os
import threading
from enum import StrEnum

NAMESPACE = "Fuel"
SERVICE = "fuel"


class Metric(StrEnum):
    ORDERS_CREATED = "OrdersCreated"
    ORDERS_PAID = "OrdersPaid"
    PAYMENT_AMOUNT_FEN = "PaymentAmountFen"
    REFUNDS_REQUESTED = "RefundsRequested"
    REFUNDS_SUCCEEDED = "RefundsSucceeded"
    REFUNDS_FAILED = "RefundsFailed"                      # status: ABNORMAL | CLOSED
    INVOICES_ISSUED = "InvoicesIssued"
    INVOICES_FAILED = "InvoicesFailed"
    WEBHOOK_REJECTED = "WebhookRejected"                  # reason: NOT_VERIFIED | MISMATCH
    RECONCILIATION_DIFFERENCES = "ReconciliationDifferences"  # kind: the difference's kind
    RECONCILIATION_OPEN = "ReconciliationOpenDifferences"
    NOTIFICATIONS_SENT = "NotificationsSent"
    NOTIFICATIONS_SKIPPED = "NotificationsSkipped"        # reason: the notifier's outcome
    OUTBOX_LEFT = "OutboxLeft"  # owed messages a sweep found past their grace and could not send


# The dimension each metric carries besides service and stage (infra/alarms.py alarms on them).
DIMENSION = {
    Metric.REFUNDS_FAILED: "status",
    Metric.WEBHOOK_REJECTED: "reason",
    Metric.RECONCILIATION_DIFFERENCES: "kind",
    Metric.NOTIFICATIONS_SKIPPED: "reason",
}
# Webhook rejection reasons (a bounded set: never the free text of the failure).
NOT_VERIFIED, MISMATCH = "NOT_VERIFIED", "MISMATCH"

_local = threading.local()


def count(metric: Metric, value: int = 1, **dimension: str) -> None:
    _add(metric, "Count", value, dimension)


def amount(metric: Metric, fen: int) -> None:
    """A money figure in fen (CloudWatch has no currency unit: the name says fen)."""
    _add(metric, "None", fen, {})


def _add(metric: Metric, unit: str, value: int, dimension: dict) -> None:
    expected = DIMENSION.get(metric)
    if set(dimension) != ({expected} if expected else set()):
        raise ValueError(f"{metric} takes the dimension {expected or 'none'}, not {dimension}")
    key = tuple(sorted((name, str(v)) for name, v in dimension.items()))
    pending = getattr(_local, "pending", None)
    if pending is None:  # not inside an invocation: written at once
        _write({key: [(metric, unit, value)]})
    else:
        pending.setdefault(key, []).append((metric, unit, value))


def begin() -> None:
    """An invocation starts: gather its metrics until `flush`."""
    _local.pending = {}


def flush() -> None:
    """Write what the invocation gathered (one EMF line per dimension set) and stop gathering."""
    pending, _local.pending = getattr(_local, "pending", None), None
    if pending:
        _write(pending)


def _write(pending: dict) -> None:
    # Imported here: `import app` stays lean, and only an invocation with a metric pays for it.
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    stage = os.environ.get("STAGE", "local")
    for key, items in pending.items():
        metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        metrics.add_dimension("stage", stage)
        for name, value in key:
            metrics.add_dimension(name, value)
        for metric, unit, value in items:
            metrics.add_metric(name=str(metric), unit=MetricUnit(unit), value=value)
        metrics.flush_metrics()
