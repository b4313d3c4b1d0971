"""Station routes over the Chalice test client: parsing, auth, status codes and bodies."""
from __future__ import annotations

import json

import pytest

from chalicelib.services.identity.tokens import DRIVER, Principal
from chalicelib.store.stations import stations as station_store
from tests.paystack import bearer_token
from tests.station_factory import TAIYUAN, make_station, staff

JSON = {"Content-Type": "application/json"}
NEARBY = f"/v1/stations/nearby?lat={TAIYUAN[0]}&lng={TAIYUAN[1]}"


def bearer(principal) -> dict:
    return {"Authorization": f"Bearer {bearer_token(principal)}"}


def put_json(client, path, body, who):
    return client.http.put(path, body=json.dumps(body), headers={**JSON, **bearer(who)})


@pytest.fixture
def seeded(client):
    for k, station_id in enumerate(["ty-901", "ty-902", "ty-903"]):
        station_store.put_station(make_station(station_id, distance_m=300 + 700 * k, bearing=40 * k))
    return client


def test_nearby_answers_a_page_without_a_token(seeded):
    response = seeded.http.get(NEARBY + "&limit=2")

    assert response.status_code == 200
    assert [i["id"] for i in response.json_body["items"]] == ["ty-901", "ty-902"]
    following = seeded.http.get(NEARBY + "&limit=2&cursor=" + response.json_body["next_cursor"])
    assert [i["id"] for i in following.json_body["items"]] == ["ty-903"]
    assert following.json_body["next_cursor"] is None


def test_nearby_with_a_driver_token_works_and_a_staff_token_is_refused(seeded):
    driver = Principal(kind=DRIVER, subject="u_1")
    assert seeded.http.get(NEARBY, headers=bearer(driver)).status_code == 200
    wrong = seeded.http.get(NEARBY, headers=bearer(staff("hq")))
    assert (wrong.status_code, wrong.json_body["code"]) == (403, "WRONG_TOKEN_KIND")


def test_sort_by_cost_shows_effective_cost_and_saving(seeded):
    response = seeded.http.get(NEARBY + "&sort=cost&grade=92&liters=40&consumption=9.5")

    assert response.status_code == 200
    cost = response.json_body["items"][0]["cost"]
    assert cost["effective_cost_fen"] == cost["fuel_fen"] + cost["detour_fen"]
    assert cost["saving_fen"] == 0 and cost["liters_ml"] == 40_000


@pytest.mark.parametrize("query, code", [
    ("lng=112.5", "PARAM_REQUIRED"),
    ("lat=95&lng=112.5", "LAT_OUT_OF_RANGE"),
    ("lat=37.8&lng=-200", "LNG_OUT_OF_RANGE"),
    ("lat=abc&lng=112.5", "PARAM_INVALID"),
    ("lat=37.8&lng=112.5&radius_m=60000", "RADIUS_TOO_LARGE"),
    ("lat=37.8&lng=112.5&grade=91", "UNKNOWN_GRADE"),
    ("lat=37.8&lng=112.5&sort=cost&grade=92", "COST_SORT_NEEDS_GRADE_AND_LITERS"),
    ("lat=37.8&lng=112.5&sort=price", "PRICE_SORT_NEEDS_GRADE"),
    ("lat=37.8&lng=112.5&sort=nearest", "PARAM_INVALID"),
    ("lat=37.8&lng=112.5&coord=bd09", "PARAM_INVALID"),
    ("lat=37.8&lng=112.5&cursor=%%%", "INVALID_CURSOR"),
    ("lat=37.8&lng=112.5&limit=0", "LIMIT_OUT_OF_RANGE"),
])
def test_bad_searches_are_400_with_their_own_code(client, query, code):
    response = client.http.get(f"/v1/stations/nearby?{query}")
    assert (response.status_code, response.json_body["code"]) == (400, code)


def test_station_detail_and_unknown_station(seeded):
    found = seeded.http.get("/v1/stations/ty-902")
    missing = seeded.http.get("/v1/stations/ty-999")

    assert found.status_code == 200 and len(found.json_body["nozzles"]) == 4
    assert (missing.status_code, missing.json_body["code"]) == (404, "STATION_NOT_FOUND")


def test_manager_puts_prices_and_the_next_search_shows_them(seeded):
    manager = staff("manager", "ty-901")

    response = put_json(seeded, "/v1/staff/stations/ty-901/prices",
                        {"grades": [{"grade": "92", "guide_price_fen": 718, "pump_price_fen": 699}]},
                        manager)

    assert response.status_code == 200 and response.json_body["changed"] == ["92"]
    listed = seeded.http.get(NEARBY + "&grade=92").json_body["items"][0]
    assert next(g for g in listed["grades"] if g["grade"] == "92")["price_fen"] == 699


@pytest.mark.parametrize("who, station_id, status, code", [
    (staff("attendant", "ty-901"), "ty-901", 403, "ROLE_NOT_ALLOWED"),
    (staff("manager", "ty-902"), "ty-901", 403, "STATION_NOT_YOURS"),
    (staff("hq"), "ty-999", 404, "STATION_NOT_FOUND"),
])
def test_price_changes_by_the_wrong_staff_are_refused(seeded, who, station_id, status, code):
    response = put_json(seeded, f"/v1/staff/stations/{station_id}/prices",
                        {"grades": [{"grade": "92", "guide_price_fen": 718, "pump_price_fen": 700}]},
                        who)
    assert (response.status_code, response.json_body["code"]) == (status, code)


@pytest.mark.parametrize("body, status, code", [
    ({"grades": [{"grade": "92", "guide_price_fen": 718, "pump_price_fen": 7.5}]}, 400, "FIELD_INVALID"),
    ({"grades": [{"grade": "92", "guide_price_fen": 718, "pump_price_fen": 0}]}, 400, "PRICE_INVALID"),
    ({"grades": [{"grade": "92", "guide_price_fen": 718}]}, 400, "FIELD_REQUIRED"),
    ({"grades": [{"grade": "98", "guide_price_fen": 868, "pump_price_fen": 860}]}, 422, "GRADE_NOT_SOLD"),
    ({"grades": []}, 400, "GRADES_REQUIRED"),
])
def test_bad_price_bodies(seeded, body, status, code):
    response = put_json(seeded, "/v1/staff/stations/ty-901/prices", body, staff("hq"))
    assert (response.status_code, response.json_body["code"]) == (status, code)


def test_a_driver_token_cannot_change_prices(seeded):
    response = put_json(seeded, "/v1/staff/stations/ty-901/prices",
                        {"grades": [{"grade": "92", "guide_price_fen": 718, "pump_price_fen": 700}]},
                        Principal(kind=DRIVER, subject="u_1"))
    assert (response.status_code, response.json_body["code"]) == (403, "WRONG_TOKEN_KIND")


def test_inventory_route(seeded):
    response = put_json(seeded, "/v1/staff/stations/ty-902/inventory",
                        {"grades": [{"grade": "95", "liters_ml": 0}]}, staff("manager", "ty-902"))

    assert response.status_code == 200
    assert {g["grade"]: g["stock"] for g in response.json_body["grades"]}["95"] == "out"
    refused = put_json(seeded, "/v1/staff/stations/ty-902/inventory",
                       {"grades": [{"grade": "0", "liters_ml": 10}]}, staff("manager", "ty-902"))
    assert (refused.status_code, refused.json_body["code"]) == (422, "GRADE_NOT_SOLD")


def test_promotion_lifecycle_over_http(seeded):
    manager = staff("manager", "ty-901")
    body = {"title": "周末直降", "kind": "per_litre_off", "per_litre_off_fen": 25,
            "starts_at": "2024-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00+08:00",
            "station_ids": ["ty-901"], "grades": ["92"]}

    created = seeded.http.post("/v1/staff/promotions", body=json.dumps(body),
                               headers={**JSON, **bearer(manager)})
    assert created.status_code == 201
    promotion_id = created.json_body["id"]
    assert created.json_body["ends_at"] == "2098-12-31T16:00:00Z"

    listed = seeded.http.get("/v1/staff/promotions?station_id=ty-901", headers=bearer(manager))
    assert [p["id"] for p in listed.json_body["items"]] == [promotion_id]
    offer = seeded.http.get(NEARBY).json_body["items"][0]["grades"][0]
    assert (offer["grade"], offer["price_fen"], offer["promotion"]) == ("92", 693, "直降0.25元/升")

    deleted = seeded.http.delete(f"/v1/staff/promotions/{promotion_id}", headers=bearer(manager))
    assert deleted.status_code == 204
    offer = seeded.http.get(NEARBY).json_body["items"][0]["grades"][0]
    assert offer["price_fen"] == 718


@pytest.mark.parametrize("who, body_changes, status, code", [
    (staff("attendant", "ty-901"), {}, 403, "ROLE_NOT_ALLOWED"),
    (staff("manager", "ty-902"), {}, 403, "STATION_NOT_YOURS"),
    (staff("manager", "ty-901"), {"station_ids": None}, 403, "CHAIN_PROMOTION_HQ_ONLY"),
    (staff("hq"), {"ends_at": "2023-01-01T00:00:00Z"}, 400, "PROMOTION_WINDOW_INVALID"),
    (staff("hq"), {"kind": "free_fuel"}, 400, "FIELD_INVALID"),
    (staff("hq"), {"surprise": 1}, 400, "UNKNOWN_FIELD"),
])
def test_bad_promotions_over_http(seeded, who, body_changes, status, code):
    body = {"title": "直降", "kind": "per_litre_off", "per_litre_off_fen": 25,
            "starts_at": "2024-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z",
            "station_ids": ["ty-901"], **body_changes}
    body = {k: v for k, v in body.items() if v is not None}

    response = seeded.http.post("/v1/staff/promotions", body=json.dumps(body),
                                headers={**JSON, **bearer(who)})

    assert (response.status_code, response.json_body["code"]) == (status, code)


def test_deleting_an_unknown_promotion_is_404(seeded):
    response = seeded.http.delete("/v1/staff/promotions/pr_nope", headers=bearer(staff("hq")))
    assert (response.status_code, response.json_body["code"]) == (404, "PROMOTION_NOT_FOUND")


def test_staff_routes_need_a_token(seeded):
    response = seeded.http.get("/v1/staff/promotions")
    assert (response.status_code, response.json_body["code"]) == (401, "TOKEN_REQUIRED")


def test_station_detail_prices_the_fill_asked_for(seeded):
    found = seeded.http.get("/v1/stations/ty-901?liters=10")
    bad = seeded.http.get("/v1/stations/ty-901?liters=0.2")

    assert found.status_code == 200 and found.json_body["reference_liters_ml"] == 10_000
    assert found.json_body["grades"][0]["reference_pay_fen"] == 7180
    assert (bad.status_code, bad.json_body["code"]) == (400, "LITERS_OUT_OF_RANGE")


def test_staff_read_their_station_prices_and_not_another_station_s(seeded):
    mine = seeded.http.get("/v1/staff/stations/ty-901/prices",
                           headers=bearer(staff("manager", "ty-901")))
    theirs = seeded.http.get("/v1/staff/stations/ty-902/prices",
                             headers=bearer(staff("attendant", "ty-901")))

    assert mine.status_code == 200
    assert mine.json_body["station_id"] == "ty-901" and mine.json_body["changed"] == []
    assert all(g["pump_price_fen"] <= g["guide_price_fen"] for g in mine.json_body["grades"])
    assert (theirs.status_code, theirs.json_body["code"]) == (403, "STATION_NOT_YOURS")


def test_staff_read_the_stock_they_reported_and_not_another_station_s(seeded):
    manager = staff("manager", "ty-902")
    before = seeded.http.get("/v1/staff/stations/ty-902/inventory", headers=bearer(manager))
    put_json(seeded, "/v1/staff/stations/ty-902/inventory",
             {"grades": [{"grade": "95", "liters_ml": 1_234_000}]}, manager)
    after = seeded.http.get("/v1/staff/stations/ty-902/inventory",
                            headers=bearer(staff("attendant", "ty-902")))
    theirs = seeded.http.get("/v1/staff/stations/ty-901/inventory", headers=bearer(manager))
    unknown = seeded.http.get("/v1/staff/stations/ty-999/inventory", headers=bearer(staff("hq")))

    assert before.status_code == 200 and before.json_body["station_id"] == "ty-902"
    assert after.status_code == 200
    assert {g["grade"]: g["liters_ml"] for g in after.json_body["grades"]}["95"] == 1_234_000
    assert {g["grade"] for g in after.json_body["grades"]} == \
        {g["grade"] for g in before.json_body["grades"]}
    assert (theirs.status_code, theirs.json_body["code"]) == (403, "STATION_NOT_YOURS")
    assert (unknown.status_code, unknown.json_body["code"]) == (404, "STATION_NOT_FOUND")


def test_price_history_lists_each_change_newest_first_with_old_and_new_prices(seeded):
    manager = staff("manager", "ty-901", subject="s_mgr901")
    empty = seeded.http.get("/v1/staff/stations/ty-901/price-history", headers=bearer(manager))
    grade = next(g for g in empty_prices(seeded, manager) if g["grade"] == "92")
    for pump in (grade["pump_price_fen"] - 5, grade["pump_price_fen"] - 9):
        put_json(seeded, "/v1/staff/stations/ty-901/prices", {"grades": [{
            "grade": "92", "guide_price_fen": grade["guide_price_fen"], "pump_price_fen": pump,
            "member_prices": {"gold": pump - 10}}]}, manager)

    history = seeded.http.get("/v1/staff/stations/ty-901/price-history?limit=1",
                              headers=bearer(staff("attendant", "ty-901")))
    whole = seeded.http.get("/v1/staff/stations/ty-901/price-history", headers=bearer(manager))
    too_many = seeded.http.get("/v1/staff/stations/ty-901/price-history?limit=51",
                               headers=bearer(manager))
    theirs = seeded.http.get("/v1/staff/stations/ty-902/price-history", headers=bearer(manager))

    assert empty.status_code == 200 and empty.json_body == {"station_id": "ty-901", "items": []}
    [latest] = history.json_body["items"]
    assert (latest["version"], latest["changed_by"], latest["role"]) == (2, "s_mgr901", "manager")
    assert latest["changed_at"].endswith("Z")
    assert latest["grades"] == [{
        "grade": "92", "old_guide_price_fen": grade["guide_price_fen"],
        "old_pump_price_fen": grade["pump_price_fen"] - 5,
        "new_guide_price_fen": grade["guide_price_fen"],
        "new_pump_price_fen": grade["pump_price_fen"] - 9,
        "old_member_prices": {"gold": grade["pump_price_fen"] - 15},
        "new_member_prices": {"gold": grade["pump_price_fen"] - 19}}]
    assert [c["version"] for c in whole.json_body["items"]] == [2, 1]
    assert (too_many.status_code, too_many.json_body["code"]) == (400, "LIMIT_OUT_OF_RANGE")
    assert (theirs.status_code, theirs.json_body["code"]) == (403, "STATION_NOT_YOURS")


def test_price_history_names_who_changed_the_prices_as_they_were_called_then(seeded):
    """The name is kept with the change: renaming the account later does not rewrite history,
    and a change recorded before names were kept still reads, by id alone."""
    from dataclasses import replace
    from datetime import datetime, timezone

    from chalicelib.store.identity import staff as staff_store
    from chalicelib.store.stations import price_history

    # The account bearer_token signs the manager in with, named.
    account = staff_store.StaffAccount(username="s_mgr901", staff_id="s_mgr901", role="manager",
                                       station_ids=frozenset({"ty-901"}), password_hash="!",
                                       display_name="郝丽萍")
    staff_store.put_staff(account)
    price_history.to_model(price_history.PriceChange(
        "ty-901", 1, datetime(2026, 1, 1, tzinfo=timezone.utc), "s_old", "manager",
        (price_history.GradeChange("92", 730, 720, 730, 715),))).save()
    manager = staff("manager", "ty-901", subject="s_mgr901")
    grade = next(g for g in empty_prices(seeded, manager) if g["grade"] == "95")
    changed = put_json(seeded, "/v1/staff/stations/ty-901/prices", {"grades": [{
        "grade": "95", "guide_price_fen": grade["guide_price_fen"],
        "pump_price_fen": grade["pump_price_fen"] - 3}]}, manager)
    staff_store.put_staff(replace(account, display_name="郝主任"))

    history = seeded.http.get("/v1/staff/stations/ty-901/price-history", headers=bearer(manager))

    assert changed.status_code == 200
    assert [(c["changed_by"], c["changed_by_name"]) for c in history.json_body["items"]] == [
        ("s_mgr901", "郝丽萍"), ("s_old", None)]


def empty_prices(client, who) -> list[dict]:
    answer = client.http.get("/v1/staff/stations/ty-901/prices", headers=bearer(who))
    assert answer.status_code == 200
    return answer.json_body["grades"]


def test_hq_lists_every_station_a_page_at_a_time_and_nobody_else_may(seeded):
    hq = bearer(staff("hq"))
    seen, cursor = [], None
    while True:
        page = seeded.http.get("/v1/staff/stations?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                               headers=hq)
        assert page.status_code == 200, page.json_body
        seen += page.json_body["items"]
        cursor = page.json_body["next_cursor"]
        if cursor is None:
            break
    bad = seeded.http.get("/v1/staff/stations?cursor=no%20such", headers=hq)
    refused = seeded.http.get("/v1/staff/stations",
                              headers=bearer(staff("manager", "ty-901", subject="s_mgr")))

    assert sorted(s["id"] for s in seen) == ["ty-901", "ty-902", "ty-903"]
    listed = next(s for s in seen if s["id"] == "ty-901")
    stored = station_store.get_station("ty-901")
    assert (listed["name"], listed["district"], listed["nozzles"]) == (
        stored.name, stored.district, len(stored.nozzles))
    assert [(g["grade"], g["pump_price_fen"]) for g in listed["grades"]] == [
        (g.grade, g.pump_price_fen) for g in stored.grades]
    assert (refused.status_code, refused.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (bad.status_code, bad.json_body["code"]) == (400, "INVALID_CURSOR")
