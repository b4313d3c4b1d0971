"""The metrics helper and the invocation wrapper: an invocation's metrics are written when it
ends (even when it raises), one EMF line per dimension set; dimensions are only the declared
ones; tracing stays off without importing the X-Ray SDK; `import app` stays lean."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from chalice import Chalice

from chalicelib import metrics, tracing
from chalicelib.invocation import invocation_middleware
from tests.emf import emf_records, metric_values

PROJECT_DIR = Path(__file__).resolve().parents[2]
M = metrics.Metric


def _job_app(action):
    app = Chalice(app_name="metrics-test")
    app.register_middleware(invocation_middleware, "all")

    @app.schedule("rate(1 minute)")
    def job(event):
        return action()
    return job


def _scheduled_event() -> dict:
    return {"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "0", "time": "2026-12-06T00:00:00Z", "region": "cn-north-1",
            "resources": ["arn:aws:events:cn-north-1:0:rule/job"], "detail": {}}


def test_an_invocation_writes_its_metrics_when_it_ends_one_line_per_dimension_set(capsys):
    def action():
        metrics.count(M.ORDERS_PAID)
        metrics.amount(M.PAYMENT_AMOUNT_FEN, 30000)
        metrics.count(M.REFUNDS_FAILED, status="ABNORMAL")
        metrics.count(M.ORDERS_PAID)
        assert capsys.readouterr().out == ""  # nothing written before the invocation ends
        return "done"

    assert _job_app(action)(_scheduled_event(), None) == "done"

    log = capsys.readouterr().out
    assert len(emf_records(log)) == 2
    assert metric_values(log, "OrdersPaid", stage="local", service="fuel") == [1.0, 1.0]
    assert metric_values(log, "PaymentAmountFen") == [30000.0]
    assert metric_values(log, "RefundsFailed", status="ABNORMAL") == [1.0]


def test_a_failed_invocation_still_writes_what_it_counted(capsys):
    def action():
        metrics.count(M.INVOICES_FAILED)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        _job_app(action)(_scheduled_event(), None)

    assert metric_values(capsys.readouterr().out, "InvoicesFailed") == [1.0]


def test_an_invocation_without_metrics_writes_nothing(capsys):
    assert _job_app(lambda: "idle")(_scheduled_event(), None) == "idle"
    assert capsys.readouterr().out == ""


def test_outside_an_invocation_a_metric_is_written_at_once(capsys):
    metrics.count(M.NOTIFICATIONS_SKIPPED, reason="no_quota")
    assert metric_values(capsys.readouterr().out, "NotificationsSkipped", reason="no_quota") == [1.0]


@pytest.mark.parametrize("metric, dimension", [
    (M.ORDERS_PAID, {"order_id": "o-1"}),
    (M.WEBHOOK_REJECTED, {}),
    (M.REFUNDS_FAILED, {"user_id": "u-1"}),
])
def test_only_the_declared_dimension_is_accepted(metric, dimension):
    with pytest.raises(ValueError):
        metrics.count(metric, **dimension)


def test_the_app_wraps_every_event_type_with_the_invocation_middleware():
    from app import app
    assert (invocation_middleware, "all") in app.middleware_handlers


def test_tracing_off_runs_the_use_case_without_the_xray_sdk(monkeypatch):
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    code = ("import sys; from chalicelib import tracing\n"
            "@tracing.use_case('x')\n"
            "def f(): tracing.annotate(order_id='o-1'); return 7\n"
            "assert f() == 7 and not tracing.enabled()\n"
            "print(sorted(m for m in sys.modules if m.startswith(('aws_xray_sdk', "
            "'aws_lambda_powertools.tracing'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"
    assert not tracing.enabled()


def test_import_app_loads_no_aws_sdk_store_services_or_powertools():
    code = ("import sys, app\n"
            "print('\\n'.join(m for m in sys.modules if m.split('.')[0] in ("
            "'boto3', 'botocore', 'pynamodb', 'aws_lambda_powertools', 'aws_xray_sdk') "
            "or m.startswith(('chalicelib.store', 'chalicelib.services'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == []
