"""The daily reconciliation on the running local stack, over HTTP only: three orders paid at one
station, one of them with its payment notification never delivered, one partly refunded; the
schedule fired as if at 10:30 the next morning heals the lost payment and settles the station;
fired again it changes nothing.

The station is one no other e2e test orders at (the stack is shared by the session), so its
settlement holds exactly these three orders; the differences are read for this station only.
"""
from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.conftest import business_day, driver_token, eventually

STATION = "ty-013"  # seeded, open day and night, managed by a manager of two stations
FEE_MILLI_FEN_PER_FEN = 6  # the sandbox's 0.60%: 6 milli-fen per fen, as WeChat Pay prints it
REFUND_FEN = 5000

pytestmark = pytest.mark.slow



def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _login_manager(stack) -> dict:
    account = next(s for s in stack["staff"]
                   if s["role"] == "manager" and STATION in s["station_ids"])
    answer = requests.post(f"{stack['api_url']}/v1/staff/login", timeout=10, json={
        "username": account["username"], "password": account["password"]})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _create(api, driver, nozzle_no, grade, amount_fen) -> dict:
    answer = requests.post(f"{api}/v1/orders", timeout=30, headers={
        **driver, "Idempotency-Key": str(uuid.uuid4())},
        json={"station_id": STATION, "nozzle_no": nozzle_no, "amount_fen": amount_fen,
              "grade": grade})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _pay(stack, created) -> None:
    answer = requests.post(f"{stack['wechatpay_url']}/sandbox/pay", timeout=10, json={
        "prepay_id": created["payment"]["package"].removeprefix("prepay_id=")})
    assert answer.status_code == 200, answer.text


def _driver_view(api, driver, order_id) -> dict:
    # Careful: a driver reading a PENDING order makes the API ask WeChat Pay (a heal on read);
    # the silently paid order is therefore only read through staff routes until reconciled.
    answer = requests.get(f"{api}/v1/orders/{order_id}", headers=driver, timeout=10)
    return answer.json() if answer.status_code == 200 else {}


def _history(api, staff, order_id) -> dict:
    answer = requests.get(f"{api}/v1/staff/orders/{order_id}/history", headers=staff, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _fire_reconciliation(stack, at: datetime) -> dict:
    answer = requests.post(f"{stack['jobs_url']}/schedules/reconcile_trade_bill/run", timeout=120,
                           json={"time": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def _report(api, staff, day: str, **params) -> requests.Response:
    answer = requests.get(f"{api}/v1/staff/reconciliation/{day}", headers=staff, timeout=30,
                          params={"station_id": STATION, **params})
    assert answer.status_code == 200, answer.text
    return answer


def _expected_settlement(orders: list[dict]) -> dict:
    """The station's figures worked out from the orders themselves, exactly."""
    paid = sum(o["pay_amount_fen"] for o in orders)
    fee_milli = FEE_MILLI_FEN_PER_FEN * (paid - REFUND_FEN)  # a refund gives its fee back
    fee = (fee_milli + 500) // 1000  # half up, once per station
    grades = {}
    for o in orders:
        g = grades.setdefault(o["grade"], {"grade": o["grade"], "orders": 0, "liters_ml": 0,
                                           "gross_fen": 0, "discount_fen": 0, "paid_fen": 0})
        g["orders"] += 1
        g["liters_ml"] += o["liters_ml"]
        g["gross_fen"] += o["pump_amount_fen"]
        g["discount_fen"] += o["pump_amount_fen"] - o["pay_amount_fen"]
        g["paid_fen"] += o["pay_amount_fen"]
    return {"station_id": STATION, "orders": len(orders), "paid_fen": paid, "settled_fen": paid,
            "discount_fen": sum(g["discount_fen"] for g in grades.values()),
            "refunds": 1, "refund_fen": REFUND_FEN, "fee_milli_fen": fee_milli, "fee_fen": fee,
            "net_fen": paid - REFUND_FEN - fee, "grades": sorted(grades.values(),
                                                                key=lambda g: g["grade"])}


def test_a_lost_notification_is_healed_and_the_station_settles_once(stack, api):
    today = business_day()
    day = today.date().isoformat()
    # 10:30 the next morning in Shanghai, when the real schedule first reconciles `day`.
    next_morning = datetime(today.year, today.month, today.day, 2, 30,
                            tzinfo=timezone.utc) + timedelta(days=1)
    pay_url = stack["wechatpay_url"]
    assert requests.post(f"{pay_url}/sandbox/settings", json={"bills_available_early": True},
                         timeout=10).status_code == 200
    try:
        _run(stack, api, day, next_morning)
    finally:  # the stack is shared by the session: leave the sandbox as it was
        requests.post(f"{pay_url}/sandbox/settings", json={"bills_available_early": False},
                      timeout=10)


def _run(stack, api, day, next_morning):
    driver = {"Authorization": f"Bearer {driver_token(stack, f'o-e2e-{uuid.uuid4().hex}')}"}
    manager = _login_manager(stack)
    nozzles = requests.get(f"{api}/v1/stations/{STATION}", timeout=10).json()["nozzles"]
    nozzle = {grade: next(n["no"] for n in nozzles if n["grade"] == grade) for grade in ("92", "95")}

    # Two orders paid as usual, and one paid while WeChat Pay never tells us.
    refunded = _create(api, driver, nozzle["92"], "92", 30000)
    plain = _create(api, driver, nozzle["95"], "95", 20000)
    silent = _create(api, driver, nozzle["92"], "92", 15000)
    silent_id = silent["order"]["id"]
    assert requests.post(f"{stack['wechatpay_url']}/sandbox/suppress-notifications", timeout=10,
                         json={"out_trade_no": silent["order"]["out_trade_no"]}).ok
    for created in (refunded, plain, silent):
        _pay(stack, created)
    for created in (refunded, plain):
        eventually(lambda: _driver_view(api, driver, created["order"]["id"]),
                    lambda o: o.get("status") == "PAID")
    deliveries = eventually(lambda: requests.get(
        f"{stack['wechatpay_url']}/sandbox/notifications", timeout=10,
        params={"out_trade_no": silent_id}).json()["items"], lambda items: items
        and items[0]["suppressed"])
    assert not deliveries[0]["delivered"]
    assert _history(api, manager, silent_id)["order"]["status"] == "PENDING_PAYMENT"

    # The manager refunds part of one; WeChat Pay settles it.
    refund = requests.post(f"{api}/v1/staff/orders/{refunded['order']['id']}/refund", timeout=30,
                           headers={**manager, "Idempotency-Key": str(uuid.uuid4())},
                           json={"amount_fen": REFUND_FEN, "reason": "e2e reconciliation"})
    assert refund.status_code == 202, refund.text
    eventually(lambda: _driver_view(api, driver, refunded["order"]["id"]),
                lambda o: o.get("refunded_fen") == REFUND_FEN and not o["refund_pending_fen"])

    run = _fire_reconciliation(stack, next_morning)

    assert (run["bill_date"], run["status"]) == (day, "DONE"), run
    assert run["summary"]["healed"] >= 1 and run["summary"]["by_kind"]["PAID_NOT_RECORDED"] >= 1
    report = _report(api, manager, day).json()
    assert report["status"] == "DONE" and report["station_id"] == STATION
    [difference] = report["differences"]
    assert {k: difference[k] for k in ("kind", "action", "outcome", "out_trade_no", "order_id",
                                       "expected", "actual")} == {
        "kind": "PAID_NOT_RECORDED", "action": "mark_paid", "outcome": "HEALED",
        "out_trade_no": silent["order"]["out_trade_no"], "order_id": silent_id,
        "expected": {"status": "PENDING_PAYMENT", "amount_fen": silent["order"]["pay_amount_fen"]},
        "actual": {"status": "SUCCESS", "amount_fen": silent["order"]["pay_amount_fen"]}}

    healed = _driver_view(api, driver, silent_id)
    assert healed["status"] == "PAID" and healed["paid_at"]
    history = _history(api, manager, silent_id)
    paid_event = history["items"][-1]
    assert [e["type"] for e in history["items"]] == ["ORDER_CREATED", "ORDER_PAID"]
    assert paid_event["actor"] == "job:reconciliation"
    # The heal is stamped when it happened, not at the time the schedule was fired for.
    paid_at = datetime.fromisoformat(paid_event["at"].replace("Z", "+00:00"))
    assert paid_at < datetime.now(timezone.utc) + timedelta(seconds=5)

    orders = [o["order"] for o in (refunded, plain, silent)]
    expected = _expected_settlement(orders)
    [settlement] = report["settlements"]
    matched = {"matched_count": 2, "matched_amount_fen": sum(
        o["pay_amount_fen"] for o in orders if o["id"] != silent_id)}
    assert settlement == {**expected, **matched}
    assert report["summary"] == {**matched, "differences": 1, "healed": 1}

    sheet = _report(api, manager, day, format="csv")
    assert sheet.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    total = next(r for r in rows if r["grade"] == "TOTAL")
    assert {k: total[k] for k in ("station_id", "orders", "paid_yuan", "refunds", "refund_yuan",
                                  "fee_yuan", "net_yuan")} == {
        "station_id": STATION, "orders": "3", "paid_yuan": _yuan(expected["paid_fen"]),
        "refunds": "1", "refund_yuan": _yuan(REFUND_FEN), "fee_yuan": _yuan(expected["fee_fen"]),
        "net_yuan": _yuan(expected["net_fen"])}
    assert {(r["grade"], r["orders"], r["paid_yuan"]) for r in rows if r["grade"] != "TOTAL"} == {
        (g["grade"], str(g["orders"]), _yuan(g["paid_fen"])) for g in expected["grades"]}

    # Fired again (the hourly retries of the same day): nothing is reconciled or healed twice.
    again = _fire_reconciliation(stack, next_morning + timedelta(hours=1))

    assert (again["bill_date"], again["status"]) == (day, "DONE")
    assert _report(api, manager, day).json() == report
    assert _history(api, manager, silent_id) == history
    assert _driver_view(api, driver, silent_id) == healed
