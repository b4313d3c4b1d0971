"""The seeded Taiyuan stations and staff are valid, plentiful and cover what later tests need."""
import copy
import math

import pytest

from devstack.seed import check_station, check_stations, load_staff, load_stations

# 太原站 (Taiyuan railway station): WGS-84 37.859861 N 112.581806 E shifted to GCJ-02.
TAIYUAN_STATION_GCJ02 = (37.8604, 112.5880)
SEED_DISTRICTS = {"小店区", "迎泽区", "杏花岭区", "万柏林区", "尖草坪区", "晋源区",
                  "清徐县", "阳曲县", "娄烦县", "古交市"}


def haversine_m(lat1, lng1, lat2, lng2):
    radius = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def stations():
    return load_stations()


@pytest.fixture(scope="module")
def staff():
    return load_staff()


@pytest.fixture
def good_station(stations):
    return copy.deepcopy(next(s for s in stations if s["id"] == "ty-001"))


def test_every_seeded_station_passes_the_validator(stations):
    assert {s["id"]: check_station(s) for s in stations if check_station(s)} == {}


def test_seed_set_has_unique_ids_and_one_guide_price_per_grade(stations):
    assert check_stations(stations) == []


def test_seed_has_at_least_40_stations(stations):
    assert len(stations) >= 40


def test_at_least_six_stations_lie_within_3_km_of_taiyuan_railway_station(stations):
    near = [s["id"] for s in stations
            if haversine_m(*TAIYUAN_STATION_GCJ02, s["lat"], s["lng"]) <= 3000]
    assert len(near) >= 6


def test_every_district_and_county_has_a_station(stations):
    assert {s["district"] for s in stations} == SEED_DISTRICTS


def test_some_stations_are_open_all_day_and_some_close_at_night(stations):
    hours = [(s["hours"]["open"], s["hours"]["close"]) for s in stations]
    assert hours.count(("00:00", "24:00")) >= 2
    assert any(close <= "22:00" for opens, close in hours if opens != "00:00")


def test_sinopec_and_petrochina_stations_name_their_legal_payee(stations):
    payees = {s["brand"]: s["payee"] for s in stations}
    assert payees["中国石化"] == "中国石化销售股份有限公司山西太原石油分公司"
    assert payees["中国石油"] == "中国石油天然气股份有限公司山西太原销售分公司"


def test_every_staff_station_id_exists(stations, staff):
    ids = {s["id"] for s in stations}
    assert [m["username"] for m in staff if not set(m["station_ids"]) <= ids] == []


def test_each_role_is_present_and_no_other(staff):
    assert {m["role"] for m in staff} == {"attendant", "manager", "hq"}


def test_at_least_four_stations_have_both_an_attendant_and_a_manager(staff):
    def stations_of(role):
        return {sid for m in staff if m["role"] == role for sid in m["station_ids"]}
    assert len(stations_of("attendant") & stations_of("manager")) >= 4


def test_staff_usernames_are_unique_and_no_password_is_stored(staff):
    assert len({m["username"] for m in staff}) == len(staff)
    assert all(set(m) == {"username", "role", "station_ids", "display_name"} for m in staff)


def test_validator_reports_a_grade_without_a_nozzle(good_station):
    good_station["nozzles"] = [n for n in good_station["nozzles"] if n["grade"] != "98"]
    assert "grade 98 has no nozzle" in check_station(good_station)


def test_validator_reports_repeated_nozzle_numbers(good_station):
    good_station["nozzles"][1]["no"] = good_station["nozzles"][0]["no"]
    assert any("nozzle numbers repeat" in p for p in check_station(good_station))


def test_validator_reports_a_nozzle_bound_to_a_grade_not_sold(good_station):
    good_station["grades"] = [g for g in good_station["grades"] if g["grade"] != "0"]
    good_station["stock"] = [s for s in good_station["stock"] if s["grade"] != "0"]
    assert "nozzle grade '0' is not sold here" in check_station(good_station)


@pytest.mark.parametrize("field, price", [("pump_price_fen", 7), ("guide_price_fen", 7180),
                                          ("pump_price_fen", 7.18)])
def test_validator_reports_a_price_out_of_bounds(good_station, field, price):
    good_station["grades"][0][field] = price
    assert any(field in p and "outside" in p for p in check_station(good_station))


def test_validator_reports_a_pump_price_above_the_guide_price(good_station):
    good_station["grades"][0]["pump_price_fen"] = good_station["grades"][0]["guide_price_fen"] + 1
    assert any("above the guide price" in p for p in check_station(good_station))


@pytest.mark.parametrize("lat, lng", [(39.9042, 116.4074), (37.86, 110.0), (37.0, 112.5)])
def test_validator_reports_coordinates_outside_the_taiyuan_area(good_station, lat, lng):
    good_station["lat"], good_station["lng"] = lat, lng
    assert any("outside the Taiyuan area" in p for p in check_station(good_station))


def test_validator_reports_duplicate_ids_and_split_guide_prices(stations):
    twin = copy.deepcopy(stations[1])
    twin["id"] = stations[0]["id"]
    twin["grades"][0]["guide_price_fen"] -= 1
    problems = check_stations([stations[0], twin])
    assert f"id {stations[0]['id']} is used 2 times" in problems
    assert any("several guide prices" in p for p in problems)
