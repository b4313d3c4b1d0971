"""The staff station routes' whole answers, every key and value, and who is refused: hq's list
of the chain, a station's prices (read and changed) and its tank stock (read and reported)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from chalicelib.domain.stations.prices import GradePrice
from chalicelib.store.stations import stations as station_store
from tests.paystack import bearer_token
from tests.station_factory import make_station, staff

NOW = datetime(2025, 3, 14, 2, 30, tzinfo=timezone.utc)  # 10:30 in Shanghai
JSON = {"Content-Type": "application/json"}


def bearer(principal) -> dict:
    return {"Authorization": f"Bearer {bearer_token(principal)}"}


def put_json(client, path, body, who):
    return client.http.put(path, body=json.dumps(body), headers={**JSON, **bearer(who)})


def refusal(response) -> tuple[int, str]:
    return response.status_code, response.json_body["code"]


@pytest.fixture
def chain(client, monkeypatch):
    """Three stations: one open all day, one open 06:00-22:00 with a member price and low 92,
    one open 18:00-06:00 (closed at NOW) whose 92 is out and whose 95 was never reported."""
    monkeypatch.setattr("chalicelib.domain.times.now", lambda: NOW)
    station_store.put_station(make_station("ty-901"))
    station_store.put_station(replace(
        make_station("ty-902", nozzles=2, stock_92_ml=500_000, open_time="06:00",
                     close_time="22:00"),
        grades=(GradePrice("92", 730, 699, {"gold": 680}), GradePrice("95", 768, 768))))
    station_store.put_station(replace(
        make_station("ty-903", nozzles=6, open_time="18:00", close_time="06:00"),
        stock_ml={"92": 0}))
    return client


LISTED = [
    {"id": "ty-901", "name": "测试加油站", "brand": "中国石化", "district": "迎泽区",
     "address": "太原市迎泽区测试路1号", "open_time": "00:00", "close_time": "24:00",
     "open_now": True, "nozzles": 4,
     "grades": [{"grade": "92", "guide_price_fen": 718, "pump_price_fen": 718, "stock": "in_stock"},
                {"grade": "95", "guide_price_fen": 768, "pump_price_fen": 768, "stock": "in_stock"}]},
    {"id": "ty-902", "name": "测试加油站", "brand": "中国石化", "district": "迎泽区",
     "address": "太原市迎泽区测试路1号", "open_time": "06:00", "close_time": "22:00",
     "open_now": True, "nozzles": 2,
     "grades": [{"grade": "92", "guide_price_fen": 730, "pump_price_fen": 699, "stock": "low"},
                {"grade": "95", "guide_price_fen": 768, "pump_price_fen": 768, "stock": "in_stock"}]},
    {"id": "ty-903", "name": "测试加油站", "brand": "中国石化", "district": "迎泽区",
     "address": "太原市迎泽区测试路1号", "open_time": "18:00", "close_time": "06:00",
     "open_now": False, "nozzles": 6,
     "grades": [{"grade": "92", "guide_price_fen": 718, "pump_price_fen": 718, "stock": "out"},
                {"grade": "95", "guide_price_fen": 768, "pump_price_fen": 768, "stock": "unknown"}]},
]


def test_hq_s_list_of_the_chain_answers_every_field_of_every_station(chain):
    hq = bearer(staff("hq"))

    first = chain.http.get("/v1/staff/stations?limit=2", headers=hq)
    rest = chain.http.get(f"/v1/staff/stations?limit=2&cursor={first.json_body['next_cursor']}",
                          headers=hq)
    whole = chain.http.get("/v1/staff/stations", headers=hq)

    assert (first.status_code, rest.status_code, whole.status_code) == (200, 200, 200)
    assert set(first.json_body) == {"items", "next_cursor"}
    assert first.json_body["next_cursor"] == first.json_body["items"][-1]["id"]
    assert len(first.json_body["items"]) == 2 and rest.json_body["next_cursor"] is None
    paged = first.json_body["items"] + rest.json_body["items"]
    assert sorted(paged, key=lambda s: s["id"]) == LISTED
    assert whole.json_body == {"items": paged, "next_cursor": None}


@pytest.mark.parametrize("who", [staff("manager", "ty-901"), staff("attendant", "ty-901")])
def test_only_hq_lists_the_chain(chain, who):
    assert refusal(chain.http.get("/v1/staff/stations", headers=bearer(who))) == \
        (403, "ROLE_NOT_ALLOWED")


def test_a_station_s_prices_answer_every_grade_with_its_member_prices(chain):
    answer = chain.http.get("/v1/staff/stations/ty-902/prices",
                            headers=bearer(staff("attendant", "ty-902")))

    assert answer.status_code == 200
    assert answer.json_body == {"station_id": "ty-902", "version": 0, "changed": [], "grades": [
        {"grade": "92", "guide_price_fen": 730, "pump_price_fen": 699,
         "member_prices": {"gold": 680}},
        {"grade": "95", "guide_price_fen": 768, "pump_price_fen": 768, "member_prices": {}}]}


@pytest.mark.parametrize("who", [staff("manager", "ty-901"), staff("attendant", "ty-901")])
def test_another_station_s_staff_may_not_read_its_prices(chain, who):
    assert refusal(chain.http.get("/v1/staff/stations/ty-902/prices", headers=bearer(who))) == \
        (403, "STATION_NOT_YOURS")


def test_changed_prices_answer_the_new_version_every_grade_and_the_grades_changed(chain):
    manager = staff("manager", "ty-902")
    body = {"grades": [
        {"grade": "95", "guide_price_fen": 770, "pump_price_fen": 760},
        {"grade": "92", "guide_price_fen": 730, "pump_price_fen": 715,
         "member_prices": {"silver": 705}}]}

    changed = put_json(chain, "/v1/staff/stations/ty-902/prices", body, manager)
    again = put_json(chain, "/v1/staff/stations/ty-902/prices", body, manager)

    grades = [{"grade": "92", "guide_price_fen": 730, "pump_price_fen": 715,
               "member_prices": {"silver": 705}},
              {"grade": "95", "guide_price_fen": 770, "pump_price_fen": 760, "member_prices": {}}]
    assert changed.status_code == 200
    assert changed.json_body == {"station_id": "ty-902", "version": 1, "changed": ["92", "95"],
                                 "grades": grades}
    assert again.status_code == 200
    assert again.json_body == {"station_id": "ty-902", "version": 1, "changed": [],
                               "grades": grades}


def test_a_price_change_leaving_member_prices_out_answers_them_unchanged(chain):
    answer = put_json(chain, "/v1/staff/stations/ty-902/prices", {"grades": [
        {"grade": "92", "guide_price_fen": 730, "pump_price_fen": 720}]}, staff("hq"))

    assert answer.status_code == 200
    assert answer.json_body == {"station_id": "ty-902", "version": 1, "changed": ["92"], "grades": [
        {"grade": "92", "guide_price_fen": 730, "pump_price_fen": 720,
         "member_prices": {"gold": 680}},
        {"grade": "95", "guide_price_fen": 768, "pump_price_fen": 768, "member_prices": {}}]}


@pytest.mark.parametrize("who, code", [
    (staff("manager", "ty-901"), "STATION_NOT_YOURS"),
    (staff("attendant", "ty-902"), "ROLE_NOT_ALLOWED"),
])
def test_prices_are_changed_only_by_the_station_s_manager_or_hq(chain, who, code):
    answer = put_json(chain, "/v1/staff/stations/ty-902/prices", {"grades": [
        {"grade": "92", "guide_price_fen": 730, "pump_price_fen": 720}]}, who)

    assert refusal(answer) == (403, code)
    assert station_store.get_station("ty-902").version == 0


def test_a_station_s_stock_answers_every_grade_sold_reported_or_not(chain):
    answer = chain.http.get("/v1/staff/stations/ty-903/inventory",
                            headers=bearer(staff("attendant", "ty-903")))

    assert answer.status_code == 200
    assert answer.json_body == {"station_id": "ty-903", "grades": [
        {"grade": "92", "liters_ml": 0, "stock": "out"},
        {"grade": "95", "liters_ml": None, "stock": "unknown"}]}


@pytest.mark.parametrize("who", [staff("manager", "ty-901"), staff("attendant", "ty-901")])
def test_another_station_s_staff_may_not_read_its_stock(chain, who):
    answer = chain.http.get("/v1/staff/stations/ty-903/inventory", headers=bearer(who))
    assert refusal(answer) == (403, "STATION_NOT_YOURS")


def test_reported_stock_answers_every_grade_sold_with_its_level(chain):
    answer = put_json(chain, "/v1/staff/stations/ty-903/inventory",
                      {"grades": [{"grade": "95", "liters_ml": 800_000}]},
                      staff("manager", "ty-903"))

    assert answer.status_code == 200
    assert answer.json_body == {"station_id": "ty-903", "grades": [
        {"grade": "92", "liters_ml": 0, "stock": "out"},
        {"grade": "95", "liters_ml": 800_000, "stock": "low"}]}


@pytest.mark.parametrize("who, code", [
    (staff("manager", "ty-901"), "STATION_NOT_YOURS"),
    (staff("attendant", "ty-903"), "ROLE_NOT_ALLOWED"),
])
def test_stock_is_reported_only_by_the_station_s_manager_or_hq(chain, who, code):
    answer = put_json(chain, "/v1/staff/stations/ty-903/inventory",
                      {"grades": [{"grade": "95", "liters_ml": 800_000}]}, who)

    assert refusal(answer) == (403, code)
    assert station_store.get_station("ty-903").stock_ml == {"92": 0}
