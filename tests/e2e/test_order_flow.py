"""The money path on the running local stack, over HTTP only: a driver finds the station, orders
and pays at the pump, a manager confirms a much smaller amount, the difference comes back by itself; an unpaid
order cancelled is closed at WeChat Pay too."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.conftest import driver_token, eventually, staff_token

STATION = "ty-001"  # seeded; its attendant is the first attendant in devstack.json

pytestmark = pytest.mark.slow



def _nozzle_of_92(api, headers) -> int:
    """The station as the mini-program shows it (GET /v1/stations/{id}); its first 92# nozzle."""
    detail = requests.get(f"{api}/v1/stations/{STATION}", headers=headers, timeout=10)
    if detail.status_code != 200:  # station details not served: the seed's nozzle 1 pumps 92#
        return 1
    return next(n["no"] for n in detail.json()["nozzles"] if n["grade"] == "92")


def _order(api, headers, order_id) -> dict:
    answer = requests.get(f"{api}/v1/orders/{order_id}", headers=headers, timeout=10)
    return answer.json() if answer.status_code == 200 else {}


def _create(api, headers, amount_fen, nozzle_no=1) -> dict:
    answer = requests.post(f"{api}/v1/orders", timeout=30, headers={
        **headers, "Idempotency-Key": str(uuid.uuid4())},
        json={"station_id": STATION, "nozzle_no": nozzle_no, "amount_fen": amount_fen,
              "grade": "92"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_pay_at_the_pump_confirm_less_and_get_the_difference_back(stack, api):
    driver = {"Authorization": f"Bearer {driver_token(stack, f'o-e2e-{uuid.uuid4().hex}')}"}
    created = _create(api, driver, 30000, _nozzle_of_92(api, driver))
    order, payment = created["order"], created["payment"]
    assert order["status"] == "PENDING_PAYMENT" and payment["signType"] == "RSA"

    paid_there = requests.post(f"{stack['wechatpay_url']}/sandbox/pay", timeout=10,
                               json={"prepay_id": payment["package"].split("=", 1)[1]}).json()
    paid = eventually(lambda: _order(api, driver, order["id"]), lambda o: o.get("status") == "PAID")
    assert paid["paid_at"] and paid["pay_amount_fen"] == order["pay_amount_fen"]

    token, account = staff_token(stack, "manager")
    staff = {"Authorization": f"Bearer {token}"}
    assert STATION in account["station_ids"]
    tickets = requests.get(f"{api}/v1/staff/orders", headers=staff, timeout=10,
                           params={"station_id": STATION, "status": "PAID"}).json()["items"]
    assert order["id"] in [t["id"] for t in tickets]
    confirmed = requests.post(f"{api}/v1/staff/orders/{order['id']}/confirm", headers=staff,
                              json={"actual_amount_fen": 25000}, timeout=30)
    assert confirmed.status_code == 200, confirmed.text
    fuelled = confirmed.json()
    difference = fuelled["pay_amount_fen"] - fuelled["actual_amount_fen"]
    assert fuelled["status"] == "FUELLED" and difference > 0
    assert fuelled["refund_pending_fen"] == difference

    settled = eventually(lambda: _order(api, driver, order["id"]),
                          lambda o: o.get("refunded_fen") == difference and not o["refund_pending_fen"])
    assert settled["status"] == "FUELLED"
    history = requests.get(f"{api}/v1/staff/orders/{order['id']}/history", headers=staff,
                           timeout=10).json()["items"]
    assert [e["type"] for e in history] == [
        "ORDER_CREATED", "ORDER_PAID", "ORDER_FUELLED", "REFUND_REQUESTED", "REFUND_SUCCEEDED"]
    shipped = eventually(lambda: requests.get(
        f"{stack['wechat_url']}/sandbox/shipping", timeout=10,
        params={"transaction_id": paid_there["transaction_id"]}).json()["items"], bool)
    assert shipped[0]["logistics_type"] == 4


def test_cancelled_unpaid_order_is_closed_at_wechatpay_too(stack, api):
    driver = {"Authorization": f"Bearer {driver_token(stack, f'o-e2e-{uuid.uuid4().hex}')}"}
    created = _create(api, driver, 20000)

    cancelled = requests.post(f"{api}/v1/orders/{created['order']['id']}/cancel", headers=driver,
                              timeout=30)

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CLOSED"
    late = requests.post(f"{stack['wechatpay_url']}/sandbox/pay", timeout=10,
                         json={"prepay_id": created["payment"]["package"].split("=", 1)[1]})
    assert (late.status_code, late.json()["code"]) == (400, "ORDER_CLOSED")


def test_another_drivers_order_is_not_found(stack, api):
    mine = {"Authorization": f"Bearer {driver_token(stack, f'o-e2e-{uuid.uuid4().hex}')}"}
    theirs = {"Authorization": f"Bearer {driver_token(stack, f'o-e2e-{uuid.uuid4().hex}')}"}
    order_id = _create(api, mine, 10000)["order"]["id"]

    answer = requests.get(f"{api}/v1/orders/{order_id}", headers=theirs, timeout=10)

    assert (answer.status_code, answer.json()["code"]) == (404, "ORDER_NOT_FOUND")
