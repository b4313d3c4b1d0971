"""The daily reconciliation end to end through the service: the sandbox's real bill against our
orders on moto, every kind of difference, healing once, and bad bills changing nothing."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib.api.shapes import shaped
from chalicelib.api.staff_reconciliation import ReconciliationReport
from chalicelib.domain.reconciliation import matching as rc
from chalicelib.domain.orders.ids import late_payment_refund_no
from chalicelib.domain.orders.lifecycle import close, pay as pay_transition
from chalicelib.domain.times import SHANGHAI
from chalicelib.providers.wechatpay import get_wechatpay
from chalicelib.services.reconciliation import daily as reconciliation
from chalicelib.services.orders.changes import change_order
from chalicelib.services.reconciliation.reports import day_report
from chalicelib.store.orders import events as order_events
from chalicelib.store.orders import orders as order_store
from chalicelib.store.orders import refunds as refund_store
from chalicelib.store.orders.orders import OrderModel
from chalicelib.store.orders.refunds import RefundModel
from devstack.sandboxes.wechatpay import bills as pay_bills
from tests.emf import metric_values
from tests.order_flows import create_order, paid_order, prepay_id, refund
from tests.paystack import staff_principal, wait_for


def _today():
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


def _yesterday():
    return _today() - timedelta(days=1)


def _suppress(pay, out_trade_no):
    requests.post(f"{pay.pay_url}/sandbox/suppress-notifications",
                  json={"out_trade_no": out_trade_no}, timeout=5)


def _paid_silently(pay, client, driver, station, amount_fen=30000):
    """Paid at WeChat Pay, the notification never delivered: still PENDING_PAYMENT here."""
    created = create_order(client, driver, station, amount_fen=amount_fen)
    order_id = created.json_body["order"]["id"]
    _suppress(pay, order_id)
    assert pay.pay(prepay_id(created)).status_code == 200
    return order_id


def _history(order_id):
    return [e.type for e in order_events.list_events(order_id)]


def _report(day=None):
    hq = staff_principal("hq")
    report = shaped(day_report(hq, (day or _today()).isoformat(), None,
                               now=datetime.now(timezone.utc)), ReconciliationReport)
    report.pop("updated_at")
    return report


@pytest.fixture
def every_difference(pay, client, station, driver, monkeypatch):
    """One matched order, and one case of each difference class, made the way each happens,
    all paid yesterday at WeChat Pay, so what reconciling heals today is on today's bill."""
    now = datetime.now(timezone.utc) - timedelta(days=1)
    monkeypatch.setattr(pay.config, "clock", lambda: time.time() - 86400)
    ids = {"matched": paid_order(client, pay, driver, station, amount_fen=20000)["id"]}
    ids["pending"] = _paid_silently(pay, client, driver, station)
    ids["closed"] = _paid_silently(pay, client, driver, station, amount_fen=15000)
    change_order(ids["closed"], lambda o: close(o, at=now, actor="test", reason="expired"))
    # Held as paid here (a payment applied from a source WeChat Pay never billed).
    missing = create_order(client, driver, station).json_body["order"]["id"]
    _suppress(pay, missing)
    change_order(missing, lambda o: pay_transition(
        o, transaction_id="4200" + "9" * 24, paid_at=now, amount_fen=o.pay_amount_fen,
        openid=o.openid, at=now, actor="test"))
    ids["missing"] = missing
    ids["amount"] = paid_order(client, pay, driver, station)["id"]
    OrderModel(ids["amount"]).update(actions=[OrderModel.pay_amount_fen.set(29999)])
    ids["duplicate"] = paid_order(client, pay, driver, station)["id"]
    OrderModel(ids["duplicate"]).update(actions=[OrderModel.transaction_id.set("4200" + "1" * 24)])
    ids["refunded"] = paid_order(client, pay, driver, station)["id"]
    answer = refund(client, staff_principal("manager", station.id), ids["refunded"], 5000)
    out_refund_no = answer.json_body["refund"]["out_refund_no"]
    wait_for(lambda: refund_store.get_refund(out_refund_no).status == "SUCCESS")
    RefundModel(out_refund_no).update(actions=[RefundModel.amount_fen.set(4000)])
    # Paid at WeChat Pay for an out_trade_no we never issued.
    unknown = "ZZ" + uuid.uuid4().hex[:20]
    prepay = get_wechatpay().create_jsapi(unknown, "油费", 1234, "o-stranger",
                                          pay.api_url + "/v1/webhooks/wechatpay",
                                          now + timedelta(minutes=10))
    _suppress(pay, unknown)
    assert pay.pay(prepay).status_code == 200
    ids["unknown"] = unknown
    pay.config.clock = time.time
    return ids


def test_every_difference_class_is_found_and_the_safe_ones_healed(every_difference, station):
    ids = every_difference

    result = reconciliation.run_day(_yesterday())

    assert result["status"] == "DONE"
    kinds = {(d["kind"], d["out_trade_no"]): d for d in _report(_yesterday())["differences"]}
    assert set(kinds) == {
        (rc.PAID_NOT_RECORDED, ids["pending"]), (rc.PAID_NOT_RECORDED, ids["closed"]),
        (rc.MISSING_IN_BILL, ids["missing"]), (rc.AMOUNT_MISMATCH, ids["amount"]),
        (rc.DUPLICATE, ids["duplicate"]), (rc.REFUND_MISMATCH, ids["refunded"]),
        (rc.UNKNOWN_ORDER, ids["unknown"])}
    assert kinds[(rc.PAID_NOT_RECORDED, ids["pending"])]["outcome"] == "HEALED"
    assert order_store.get_order(ids["pending"]).status == "PAID"
    closed = order_store.get_order(ids["closed"])
    assert (closed.status, closed.refund_reserved_fen) == ("CLOSED", 15000)
    assert refund_store.get_refund(late_payment_refund_no(ids["closed"])) is not None
    assert kinds[(rc.PAID_NOT_RECORDED, ids["closed"])]["action"] == rc.REFUND
    assert {d["outcome"] for k, d in kinds.items() if k[0] != rc.PAID_NOT_RECORDED} == {"REPORTED"}
    # The refunded order's payment itself matches; only its refund differs.
    assert (result["summary"]["matched_count"], result["summary"]["healed"]) == (2, 2)


def test_rerunning_a_day_gives_the_same_result_and_heals_nothing_twice(pay, every_difference):
    with pay.sandbox.lock:  # the late refund's outcome may now reach us
        pay.sandbox.suppressed.discard(every_difference["closed"])
    reconciliation.run_day(_yesterday())
    first = _report(_yesterday())
    late_refund = late_payment_refund_no(every_difference["closed"])
    wait_for(lambda: refund_store.get_refund(late_refund).status == "SUCCESS")
    ours = {name: order_id for name, order_id in every_difference.items() if name != "unknown"}
    histories = {name: _history(order_id) for name, order_id in ours.items()}

    second = reconciliation.run_day(_yesterday())

    assert second["status"] == "DONE"
    assert _report(_yesterday()) == first
    assert {name: _history(order_id) for name, order_id in ours.items()} == histories


def test_settlement_adds_up_to_the_bill_per_station(pay, client, station, driver):
    manager = staff_principal("manager", station.id)
    orders = [paid_order(client, pay, driver, station, amount_fen=amount, nozzle_no=nozzle)
              for amount, nozzle in ((30000, 1), (20000, 2), (10000, 1))]
    answer = refund(client, manager, orders[0]["id"], 3000)
    wait_for(lambda: refund_store.get_refund(
        answer.json_body["refund"]["out_refund_no"]).status == "SUCCESS")

    result = reconciliation.run_day(_today())

    assert result["summary"]["differences"] == 0
    (settled,) = shaped(day_report(manager, _today().isoformat(), None,
                                   now=datetime.now(timezone.utc)),
                        ReconciliationReport)["settlements"]
    assert (settled["orders"], settled["paid_fen"], settled["refund_fen"]) == (3, 60000, 3000)
    # 0.60% of 600.00 paid, less 0.60% of 30.00 given back: 360 - 18 fen.
    assert (settled["fee_fen"], settled["net_fen"]) == (342, 60000 - 3000 - 342)
    grades = {g["grade"]: g for g in settled["grades"]}
    assert (grades["92"]["orders"], grades["92"]["paid_fen"]) == (2, 40000)
    assert grades["95"]["liters_ml"] == orders[1]["liters_ml"]
    assert settled["discount_fen"] == sum(o["discount_fen"] for o in orders)


def test_a_bill_not_ready_is_recorded_and_changes_nothing(pay, client, station, driver):
    pay.config.bills_available_early = False
    pending = _paid_silently(pay, client, driver, station)

    result = reconciliation.run_day(_today())

    assert (result["status"], result["error"]["code"]) == ("NOT_READY", "STATEMENT_CREATING")
    assert order_store.get_order(pending).status == "PENDING_PAYMENT"


def test_a_bill_failing_its_hash_is_rejected_and_changes_nothing(pay, client, station, driver,
                                                                  monkeypatch):
    pending = _paid_silently(pay, client, driver, station)
    genuine = pay.sandbox.trade_bill

    def tampered(args, host_url):
        answer = genuine(args, host_url)
        return {**answer, "hash_value": "0" * 40}
    monkeypatch.setattr(pay.sandbox, "trade_bill", tampered)

    result = reconciliation.run_day(_today())

    assert result["status"] == "REJECTED"
    assert "SHA1" in result["error"]["message"]
    assert order_store.get_order(pending).status == "PENDING_PAYMENT"


def test_a_bill_whose_summary_does_not_add_up_is_rejected(pay, client, station, driver,
                                                          monkeypatch):
    pending = _paid_silently(pay, client, driver, station)
    genuine = pay_bills.bill_csv

    def bad_summary(sandbox, day, bill_type):
        text = genuine(sandbox, day, bill_type).decode("utf-8")
        head, _, summary = text.rstrip("\n").rpartition("\n")
        return (head + "\n" + summary.replace("`1,", "`2,", 1) + "\n").encode("utf-8")
    monkeypatch.setattr(pay_bills, "bill_csv", bad_summary)

    result = reconciliation.run_day(_today())

    assert (result["status"], result["error"]["code"]) == ("REJECTED", "BILL_MALFORMED")
    assert order_store.get_order(pending).status == "PENDING_PAYMENT"


def test_a_failed_rerun_never_hides_a_finished_day(pay, client, station, driver):
    paid_order(client, pay, driver, station)
    reconciliation.run_day(_today())
    pay.config.bills_available_early = False

    result = reconciliation.run_day(_today())

    assert (result["status"], result["rerun"]) == ("DONE", "NOT_READY")
    assert _report()["status"] == "DONE"


def test_a_heal_that_failed_is_retried_by_the_next_firing_of_the_schedule(
        pay, client, station, driver, monkeypatch):
    from chalicelib.domain.errors import UpstreamUnavailable
    from chalicelib.jobs import reconciliation as job
    from chalicelib.services.orders import payments

    pending = _paid_silently(pay, client, driver, station)
    # 10:30 tomorrow in Shanghai: the firing that reconciles today.
    fired = datetime.combine(_today() + timedelta(days=1), datetime.min.time(),
                             timezone.utc) + timedelta(hours=2, minutes=30)
    working = payments.sync_payment

    def unreachable(*args, **kwargs):
        raise UpstreamUnavailable("WeChat Pay did not answer", code="WECHATPAY_UNAVAILABLE")
    monkeypatch.setattr(payments, "sync_payment", unreachable)
    first = job.reconcile_yesterday(fired)
    assert first["status"] == "DONE"
    assert [d["outcome"] for d in _report()["differences"]] == ["FAILED"]
    monkeypatch.setattr(payments, "sync_payment", working)

    second = job.reconcile_yesterday(fired + timedelta(hours=1))
    third = job.reconcile_yesterday(fired + timedelta(hours=2))

    assert second["status"] == "DONE" and "skipped" not in second
    assert [d["outcome"] for d in _report()["differences"]] == ["HEALED"]
    assert order_store.get_order(pending).status == "PAID"
    assert third == {"bill_date": _today().isoformat(), "status": "DONE", "skipped": True}


def test_a_finished_day_counts_its_differences_by_kind_and_those_left_open(
        every_difference, capsys):
    capsys.readouterr()  # what making the differences logged

    assert reconciliation.run_day(_yesterday())["status"] == "DONE"

    log = capsys.readouterr().out
    differences = _report(_yesterday())["differences"]
    for kind in {d["kind"] for d in differences}:
        assert metric_values(log, "ReconciliationDifferences", kind=kind) == [
            float(sum(d["kind"] == kind for d in differences))]
    open_left = sum(d["outcome"] != "HEALED" for d in differences)
    assert open_left > 0
    assert metric_values(log, "ReconciliationOpenDifferences", stage="local") == [float(open_left)]
