"""Never pay the wrong station, through the routes on moto: the distance check, ordering from a
pump code, the payee on the WeChat Pay sheet, and a driver's refund request answered by the
manager."""
from __future__ import annotations

from tests import paystack
from tests.order_flows import confirm, create_order, paid_order, post
from tests.paystack import driver_auth, staff_auth, staff_principal
from tests.station_factory import destination

HERE = (37.846218, 112.584537)  # where paystack's stations stand (GCJ-02)


def _at(distance_m: float, bearing: float = 0.0) -> dict:
    lat, lng = destination(*HERE, bearing, distance_m)
    return {"lat": lat, "lng": lng}


def test_far_order_is_refused_with_the_distance_and_the_station_the_driver_is_at(
        pay, station, driver, client):
    neighbour = paystack.seed_station(**dict(zip(("lat", "lng"), destination(*HERE, 0, 1950))))

    far = create_order(client, driver, station, location=_at(2000))

    assert (far.status_code, far.json_body["code"]) == (422, "FAR_FROM_STATION")
    details = far.json_body["details"]
    assert 1995 <= details["distance_m"] <= 2005 and details["max_distance_m"] == 500
    assert details["nearest_station"]["id"] == neighbour.id
    assert details["nearest_station"]["distance_m"] <= 100


def test_confirming_from_afar_is_recorded_and_pays(pay, station, driver, client):
    order = paid_order(client, pay, driver, station, location=_at(2000), confirm_far=True)

    assert order["place_check"] == "FAR_CONFIRMED" and order["status"] == "PAID"


def test_near_and_no_location_are_recorded(pay, station, driver, client):
    near = create_order(client, driver, station, location={**_at(100), "coord": "gcj02"})
    nowhere = create_order(client, driver, station)

    assert near.json_body["order"]["place_check"] == "NEAR"
    assert nowhere.json_body["order"]["place_check"] == "NO_LOCATION"


def test_a_pump_code_skips_the_check_but_must_name_this_pump(pay, station, driver, client):
    scanned = create_order(client, driver, station, nozzle_no=2, pump_scene=f"1.2.{station.id}",
                           location=_at(9000))
    other = create_order(client, driver, station, nozzle_no=1, pump_scene=f"1.2.{station.id}")

    assert scanned.status_code == 201 and scanned.json_body["order"]["place_check"] == "PUMP_CODE"
    assert (other.status_code, other.json_body["code"]) == (422, "PUMP_SCENE_MISMATCH")


def test_the_payment_sheet_and_the_order_name_the_payee_and_the_station(pay, station, driver,
                                                                       client):
    order = create_order(client, driver, station).json_body["order"]

    assert order["payee"] == station.payee
    described = pay.sandbox.orders[order["id"]].description
    assert described.startswith(f"{station.payee}-{station.name}") and len(described) <= 127


def test_a_scanned_scene_resolves_and_a_removed_nozzle_is_a_clear_404(pay, station, client):
    found = client.http.get(f"/v1/pumps/1.2.{station.id}")
    removed = client.http.get(f"/v1/pumps/1.9.{station.id}")
    foreign = client.http.get("/v1/pumps/whatever")

    assert found.status_code == 200
    assert (found.json_body["grade"], found.json_body["payee"]) == ("95", station.payee)
    assert found.json_body["price"]["pump_price_fen"] == 768
    assert (removed.status_code, removed.json_body["code"]) == (404, "NOZZLE_REMOVED")
    assert (foreign.status_code, foreign.json_body["code"]) == (404, "PUMP_NOT_FOUND")


def test_a_declined_request_shows_the_reason_and_cannot_be_asked_again(pay, station, driver,
                                                                       client):
    order = paid_order(client, pay, driver, station)
    manager = staff_auth(staff_principal("manager", station.id))
    asked = post(client, f"/v1/orders/{order['id']}/refund-request", {"reason": "没加上油"},
                 driver_auth(driver))
    listed = client.http.get(f"/v1/staff/refund-requests?station_id={station.id}", headers=manager)

    declined = post(client, f"/v1/staff/orders/{order['id']}/refund-request/decline",
                    {"reason": "监控显示已加油"}, manager)
    again = post(client, f"/v1/orders/{order['id']}/refund-request", {"reason": "再试一次"},
                 driver_auth(driver))

    assert asked.status_code == 200 and asked.json_body["refund_request"]["status"] == "OPEN"
    assert [o["id"] for o in listed.json_body["items"]] == [order["id"]]
    seen = client.http.get(f"/v1/orders/{order['id']}", headers=driver_auth(driver)).json_body
    assert seen["refund_request"]["status"] == "DECLINED"
    assert seen["refund_request"]["answer"] == "监控显示已加油" == declined.json_body[
        "refund_request"]["answer"]
    assert (again.status_code, again.json_body["code"]) == (409, "REFUND_REQUEST_EXISTS")
    assert confirm(client, staff_principal("attendant", station.id), order["id"]).status_code == 200


def test_only_the_stations_manager_answers_a_request(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)
    post(client, f"/v1/orders/{order['id']}/refund-request", {"reason": "没加上油"},
         driver_auth(driver))

    attendant = post(client, f"/v1/staff/orders/{order['id']}/refund-request/approve", None,
                     staff_auth(staff_principal("attendant", station.id)))
    stranger = post(client, f"/v1/staff/orders/{order['id']}/refund-request/approve", None,
                    staff_auth(staff_principal("manager", "elsewhere")))

    assert (attendant.status_code, attendant.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (stranger.status_code, stranger.json_body["code"]) == (403, "NOT_YOUR_STATION")


def test_another_drivers_order_cannot_be_asked_back(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)
    stranger = paystack.seed_driver()

    asked = post(client, f"/v1/orders/{order['id']}/refund-request", {"reason": "没加上油"},
                 driver_auth(stranger))

    assert (asked.status_code, asked.json_body["code"]) == (404, "ORDER_NOT_FOUND")
    seen = client.http.get(f"/v1/orders/{order['id']}", headers=driver_auth(driver)).json_body
    assert seen["refund_request"] is None and seen["status"] == "PAID"
