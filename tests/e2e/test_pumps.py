"""Never pay the wrong station, over HTTP on the running local stack: a manager prints the pump
codes, a driver scans one (the PNG decoded), orders and pays with no distance check; another
orders from 2 km away, is told, confirms and pays; a refund request nobody answers is refunded
by the schedule fired at a later time, once even when fired twice."""
from __future__ import annotations

import io
import math
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.conftest import driver_token, eventually, staff_token

STATION = "ty-001"  # seeded, at GCJ-02 37.846218, 112.584537; its manager is in devstack.json

pytestmark = pytest.mark.slow


def _driver(stack) -> dict:
    return {"Authorization": f"Bearer {driver_token(stack, f'o-e2e-{uuid.uuid4().hex}')}"}


def _decode(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    return found[0].text


def _order(api, headers, body) -> requests.Response:
    return requests.post(f"{api}/v1/orders", json=body, timeout=30,
                         headers={**headers, "Idempotency-Key": uuid.uuid4().hex})


def _pay(stack, api, headers, created) -> dict:
    prepay = created["payment"]["package"].split("=", 1)[1]
    assert requests.post(f"{stack['wechatpay_url']}/sandbox/pay", json={"prepay_id": prepay},
                         timeout=10).status_code == 200
    return eventually(lambda: requests.get(f"{api}/v1/orders/{created['order']['id']}",
                                           headers=headers, timeout=10).json(),
                      lambda o: o.get("status") == "PAID")


def _two_km_north(lat: float, lng: float) -> tuple[float, float]:
    return lat + math.degrees(2000 / 6371008.8), lng


def test_scan_a_printed_pump_code_then_order_and_pay_without_a_distance_check(stack, api):
    token, _ = staff_token(stack, "manager")
    staff = {"Authorization": f"Bearer {token}"}
    made = requests.post(f"{api}/v1/staff/stations/{STATION}/pump-codes", headers=staff, timeout=60)
    assert made.status_code == 200, made.text
    code = made.json()["items"][0]
    png = requests.get(code["download_url"], timeout=10)
    assert png.content.startswith(b"\x89PNG")

    scene = _decode(png.content)
    driver = _driver(stack)
    pump = requests.get(f"{api}/v1/pumps/{scene}", headers=driver, timeout=10)
    assert pump.status_code == 200, pump.text
    pump = pump.json()
    assert (pump["station_id"], pump["nozzle_no"], pump["grade"]) == (
        STATION, code["nozzle_no"], code["grade"])
    created = _order(api, driver, {"station_id": STATION, "nozzle_no": pump["nozzle_no"],
                                   "amount_fen": 20000, "pump_scene": scene,
                                   "location": {"lat": 30.0, "lng": 120.0}})
    assert created.status_code == 201, created.text
    order = created.json()["order"]
    assert order["place_check"] == "PUMP_CODE" and order["payee"] == pump["payee"]
    assert order["price_fen"] <= pump["price"]["pump_price_fen"]
    assert _pay(stack, api, driver, created.json())["status"] == "PAID"
    gone = requests.get(f"{api}/v1/pumps/1.99.{STATION}", timeout=10)
    assert (gone.status_code, gone.json()["code"]) == (404, "NOZZLE_REMOVED")


def test_ordering_from_two_km_away_is_refused_until_the_driver_confirms(stack, api):
    driver = _driver(stack)
    lat, lng = _two_km_north(37.846218, 112.584537)
    body = {"station_id": STATION, "nozzle_no": 1, "amount_fen": 20000,
            "location": {"lat": lat, "lng": lng, "coord": "gcj02"}}

    far = _order(api, driver, body)
    assert (far.status_code, far.json()["code"]) == (422, "FAR_FROM_STATION"), far.text
    assert 1950 <= far.json()["details"]["distance_m"] <= 2050
    confirmed = _order(api, driver, {**body, "confirm_far": True})
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["order"]["place_check"] == "FAR_CONFIRMED"
    assert _pay(stack, api, driver, confirmed.json())["status"] == "PAID"


def test_an_unanswered_refund_request_is_refunded_by_the_schedule_once(stack, api):
    driver = _driver(stack)
    created = _order(api, driver, {"station_id": STATION, "nozzle_no": 1, "amount_fen": 15000})
    assert created.status_code == 201, created.text
    order = _pay(stack, api, driver, created.json())
    asked = requests.post(f"{api}/v1/orders/{order['id']}/refund-request", headers=driver,
                          json={"reason": "付了钱但没加上油"}, timeout=30)
    assert asked.status_code == 200, asked.text
    later = (datetime.now(timezone.utc) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")

    runs = [requests.post(f"{stack['jobs_url']}/schedules/refund_unanswered_requests/run",
                          json={"time": later}, timeout=120).json() for _ in range(2)]

    assert [r["result"]["refunded"] for r in runs] == [1, 0]
    refunded = eventually(lambda: requests.get(f"{api}/v1/orders/{order['id']}", headers=driver,
                                               timeout=10).json(),
                          lambda o: o.get("status") == "REFUNDED")
    assert refunded["refunded_fen"] == order["pay_amount_fen"]
    assert refunded["refund_request"]["status"] == "AUTO_APPROVED"
