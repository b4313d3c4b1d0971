"""GET /v1/staff/reconciliation/{date}: who may read which station, bad dates, JSON and CSV."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from chalicelib.api.staff_reconciliation import ReconciliationReport
from chalicelib.domain.reconciliation.report import RecordedDifference, StationDay
from chalicelib.domain.times import SHANGHAI
from chalicelib.store.reconciliation import results as store
from tests.paystack import staff_auth, staff_principal

DAY = "2026-01-15"


def _settlement(station_id: str, paid_fen: int) -> StationDay:
    return msgspec.convert({"station_id": station_id, "orders": 2, "matched_count": 2,
            "matched_amount_fen": paid_fen, "paid_fen": paid_fen, "settled_fen": paid_fen,
            "discount_fen": 300, "refunds": 1, "refund_fen": 1000, "fee_milli_fen": 294000,
            "fee_fen": 294, "net_fen": paid_fen - 1000 - 294,
            "grades": [{"grade": "92", "orders": 2, "liters_ml": 69_638,
                        "gross_fen": paid_fen + 300, "discount_fen": 300, "paid_fen": paid_fen}]},
        StationDay)


def _difference(stored: dict, outcome: str) -> RecordedDifference:
    return msgspec.convert({**stored, "outcome": outcome}, RecordedDifference)


@pytest.fixture
def reconciled_day(aws):
    now = datetime.now(timezone.utc)
    assert store.begin_run(DAY, "t", now, timedelta(minutes=1))
    store.put_settlements(DAY, [_settlement("st-a", 50000), _settlement("st-b", 20000)])
    for station_id, order in (("st-a", "FO" + "A" * 26), ("st-b", "FO" + "B" * 26)):
        store.record_difference(DAY, store.difference_entry("MISSING_IN_BILL", order, None, None),
                                _difference({"kind": "MISSING_IN_BILL", "out_trade_no": order,
                                             "station_id": station_id, "action": "query_payment",
                                             "expected": {"status": "PAID", "amount_fen": 100},
                                             "actual": None, "order_transaction_id": "4200"},
                                            "REPORTED"))
    store.finish_run(DAY, "t", "DONE", {"summary": {
        "matched_count": 4, "matched_amount_fen": 70000, "differences": 2, "healed": 0}}, now)
    return DAY


def _get(client, principal, path):
    return client.http.get(path, headers=staff_auth(principal))


def test_hq_reads_every_station_of_the_day(client, reconciled_day):
    answer = _get(client, staff_principal("hq"), f"/v1/staff/reconciliation/{DAY}")

    assert answer.status_code == 200
    body = answer.json_body
    assert body["status"] == "DONE" and body["summary"]["matched_count"] == 4
    assert [s["station_id"] for s in body["settlements"]] == ["st-a", "st-b"]
    assert len(body["differences"]) == 2
    assert "order_transaction_id" not in body["differences"][0]


def test_a_manager_reads_only_their_station(client, reconciled_day):
    answer = _get(client, staff_principal("manager", "st-a"), f"/v1/staff/reconciliation/{DAY}")

    body = answer.json_body
    assert [s["station_id"] for s in body["settlements"]] == ["st-a"]
    assert [d["station_id"] for d in body["differences"]] == ["st-a"]
    assert body["summary"] == {"matched_count": 2, "matched_amount_fen": 50000,
                               "differences": 1, "healed": 0}


@pytest.mark.parametrize("principal, query, status, code", [
    (staff_principal("manager", "st-a"), "?station_id=st-b", 403, "NOT_YOUR_STATION"),
    (staff_principal("attendant", "st-a"), "", 403, "ROLE_NOT_ALLOWED"),
    (staff_principal("manager", "st-a", "st-b"), "", 400, "STATION_REQUIRED"),
])
def test_staff_outside_the_station_are_refused(client, reconciled_day, principal, query, status,
                                               code):
    answer = _get(client, principal, f"/v1/staff/reconciliation/{DAY}{query}")

    assert (answer.status_code, answer.json_body["code"]) == (status, code)


@pytest.mark.parametrize("date, code", [
    ("2026-13-01", "DATE_INVALID"), ("20260115", "DATE_INVALID"), ("yesterday", "DATE_INVALID"),
    ((datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat(), "DATE_IN_FUTURE"),
])
def test_a_malformed_or_future_date_is_a_400(client, aws, date, code):
    answer = _get(client, staff_principal("hq"), f"/v1/staff/reconciliation/{date}")

    assert (answer.status_code, answer.json_body["code"]) == (400, code)


def test_a_day_not_reconciled_is_a_404(client, aws):
    answer = _get(client, staff_principal("hq"), "/v1/staff/reconciliation/2026-01-01")

    assert (answer.status_code, answer.json_body["code"]) == (404, "RECONCILIATION_NOT_FOUND")


def test_csv_gives_the_station_settlement_for_accounting(client, reconciled_day):
    raw = client.http._http  # the contract check reads JSON bodies; this answer is CSV
    answer = raw.get(f"/v1/staff/reconciliation/{DAY}?station_id=st-a&format=csv",
                     headers=staff_auth(staff_principal("manager", "st-a")))

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    lines = answer.body.decode("utf-8").splitlines()
    assert lines == [
        "bill_date,station_id,grade,orders,litres,gross_yuan,discount_yuan,paid_yuan,refunds,"
        "refund_yuan,fee_yuan,net_yuan",
        f"{DAY},st-a,92,2,69.638,503.00,3.00,500.00,,,,",
        f"{DAY},st-a,TOTAL,2,69.638,503.00,3.00,500.00,1,10.00,2.94,487.06"]


RECORDED_AT = datetime(2026, 1, 16, 2, 3, 4, 567000, tzinfo=timezone.utc)


@pytest.fixture
def stored_day(aws):
    """A day as daily.py stores it: differences with every key it writes, the whole summary."""
    assert store.begin_run(DAY, "t", RECORDED_AT, timedelta(minutes=1))
    store.put_settlements(DAY, [_settlement("st-a", 50000), _settlement("st-b", 20000)])
    order = "FO" + "A" * 26
    store.record_difference(DAY, store.difference_entry("PAID_NOT_RECORDED", order, None, 3),
                            _difference({
        "kind": "PAID_NOT_RECORDED", "out_trade_no": order, "out_refund_no": None,
        "order_id": order, "station_id": "st-a", "bill_line": 3,
        "transaction_id": "4200" + "1" * 24, "expected": {"status": "PENDING_PAYMENT",
                                                        "amount_fen": 30000},
        "actual": {"status": "SUCCESS", "amount_fen": 30000}, "action": "mark_paid",
        "order_transaction_id": None}, "PENDING"))
    store.set_outcome(DAY, store.difference_entry("PAID_NOT_RECORDED", order, None, 3),
                      "PENDING", "HEALED", "order PAID with transaction 4200")
    topup = "TU" + "B" * 26
    store.record_difference(DAY, store.difference_entry("REFUND_MISMATCH", topup, topup + "-R", 0),
                            _difference({
        "kind": "REFUND_MISMATCH", "out_trade_no": topup, "out_refund_no": topup + "-R",
        "order_id": None, "station_id": "WALLET_TOPUPS", "bill_line": None,
        "transaction_id": None, "expected": {"status": "SUCCESS", "amount_fen": 5000},
        "actual": None, "action": "query_refund", "order_transaction_id": "4200"}, "REPORTED"))
    store.finish_run(DAY, "t", "DONE", {"summary": {
        "bill_rows": 7, "matched_count": 4, "matched_amount_fen": 70000,
        "refunds_matched_count": 1, "refunds_matched_amount_fen": 1000, "fee_milli_fen": 294000,
        "fee_fen": 294, "differences": 2, "by_kind": {"PAID_NOT_RECORDED": 1,
                                                       "REFUND_MISMATCH": 1},
        "healed": 1, "topups": {"bill_rows": 1, "matched_count": 0, "matched_amount_fen": 0,
                                "refunds_matched_count": 0, "refunds_matched_amount_fen": 0,
                                "fee_milli_fen": 0, "differences": 1}}}, RECORDED_AT)
    return DAY


class _Sent:
    """The answer's text, equal to `sent_before` (what the hand-built answer was) when it holds
    the same keys and values, in the order ReconciliationReport documents."""

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, sent_before: str) -> bool:
        documented = msgspec.convert(json.loads(sent_before), ReconciliationReport)
        return (json.loads(self.text) == json.loads(sent_before)
                and self.text == msgspec.json.encode(documented).decode("utf-8"))

    def __repr__(self) -> str:
        return self.text


def _raw(client, principal, path):
    answer = client.http._http.get(path, headers=staff_auth(principal))
    assert answer.status_code == 200
    return _Sent(answer.body.decode("utf-8"))


def _settlement_text(station_id, paid):
    return (f'{{"station_id":"{station_id}","orders":2,"matched_count":2,'
            f'"matched_amount_fen":{paid},"paid_fen":{paid},"settled_fen":{paid},'
            f'"discount_fen":300,"refunds":1,"refund_fen":1000,"fee_milli_fen":294000,'
            f'"fee_fen":294,"net_fen":{paid - 1294},"grades":[{{"grade":"92","orders":2,'
            f'"liters_ml":69638,"gross_fen":{paid + 300},"discount_fen":300,'
            f'"paid_fen":{paid}}}]}}')


HEALED_TEXT = ('{"kind":"PAID_NOT_RECORDED","out_trade_no":"FO' + "A" * 26 + '",'
               '"out_refund_no":null,"order_id":"FO' + "A" * 26 + '","station_id":"st-a",'
               '"bill_line":3,"transaction_id":"4200' + "1" * 24 + '","expected":{"status":'
               '"PENDING_PAYMENT","amount_fen":30000},"actual":{"status":"SUCCESS",'
               '"amount_fen":30000},"action":"mark_paid","outcome":"HEALED",'
               '"outcome_detail":"order PAID with transaction 4200"}')


def test_hq_reads_the_stored_day_exactly_as_it_was_stored(client, stored_day):
    topup = "TU" + "B" * 26
    assert _raw(client, staff_principal("hq"), f"/v1/staff/reconciliation/{DAY}") == (
        '{"bill_date":"2026-01-15","status":"DONE","station_id":null,'
        '"updated_at":"2026-01-16T02:03:04.567000Z","error":null,"summary":{"bill_rows":7,'
        '"matched_count":4,"matched_amount_fen":70000,"refunds_matched_count":1,'
        '"refunds_matched_amount_fen":1000,"fee_milli_fen":294000,"fee_fen":294,'
        '"differences":2,"by_kind":{"PAID_NOT_RECORDED":1,"REFUND_MISMATCH":1},"healed":1,'
        '"topups":{"bill_rows":1,"matched_count":0,"matched_amount_fen":0,'
        '"refunds_matched_count":0,"refunds_matched_amount_fen":0,"fee_milli_fen":0,'
        '"differences":1}},"differences":[' + HEALED_TEXT + ',{"kind":"REFUND_MISMATCH",'
        f'"out_trade_no":"{topup}","out_refund_no":"{topup}-R","order_id":null,'
        '"station_id":"WALLET_TOPUPS","bill_line":null,"transaction_id":null,'
        '"expected":{"status":"SUCCESS","amount_fen":5000},"actual":null,'
        '"action":"query_refund","outcome":"REPORTED","outcome_detail":null}],'
        '"settlements":[' + _settlement_text("st-a", 50000) + ","
        + _settlement_text("st-b", 20000) + "]}")


def test_a_manager_reads_the_stored_day_of_their_station(client, stored_day):
    assert _raw(client, staff_principal("manager", "st-a"),
                f"/v1/staff/reconciliation/{DAY}") == (
        '{"bill_date":"2026-01-15","status":"DONE","station_id":"st-a",'
        '"updated_at":"2026-01-16T02:03:04.567000Z","error":null,"summary":{'
        '"matched_count":2,"matched_amount_fen":50000,"differences":1,"healed":1},'
        '"differences":[' + HEALED_TEXT + '],"settlements":['
        + _settlement_text("st-a", 50000) + "]}")


def test_a_day_not_ready_answers_its_error(client, aws):
    assert store.begin_run(DAY, "t", RECORDED_AT, timedelta(minutes=1))
    store.finish_run(DAY, "t", "NOT_READY", {"error": {
        "code": "BILL_NOT_READY", "message": "the bill is not ready"}}, RECORDED_AT)

    assert _raw(client, staff_principal("hq"), f"/v1/staff/reconciliation/{DAY}") == (
        '{"bill_date":"2026-01-15","status":"NOT_READY","station_id":null,'
        '"updated_at":"2026-01-16T02:03:04.567000Z","error":{"code":"BILL_NOT_READY",'
        '"message":"the bill is not ready"},"summary":null,"differences":[],"settlements":[]}')
