"""Drivers search the seeded Taiyuan stations and managers change prices, over HTTP on the
running local stack."""
from __future__ import annotations

import requests

from chalicelib.domain.stations.geo import haversine_m, wgs84_to_gcj02
from devstack import seed
from tests.e2e.conftest import staff_token

TAIYUAN_STATION_WGS84 = (37.859861, 112.581806)  # 太原站, as wx.getLocation reports it


def nearest_seeded(radius_m: int) -> list[str]:
    centre = wgs84_to_gcj02(*TAIYUAN_STATION_WGS84)
    ranked = sorted((haversine_m(*centre, s["lat"], s["lng"]), s["id"]) for s in seed.load_stations())
    return [station_id for distance, station_id in ranked if distance <= radius_m]


def search(api, **params):
    query = {"lat": TAIYUAN_STATION_WGS84[0], "lng": TAIYUAN_STATION_WGS84[1], "coord": "wgs84",
             **params}
    response = requests.get(f"{api}/v1/stations/nearby", params=query, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_search_from_taiyuan_station_returns_the_nearest_seeded_stations_in_order(stack, api):
    page = search(api, radius_m=3000, limit=5)

    expected = nearest_seeded(3000)
    assert [i["id"] for i in page["items"]] == expected[:5]
    distances = [i["distance_m"] for i in page["items"]]
    assert distances == sorted(distances) and distances[-1] <= 3000
    assert (page["next_cursor"] is not None) == (len(expected) > 5)


def test_paging_walks_every_seeded_station_in_the_radius(stack, api):
    seen, cursor = [], None
    while True:
        page = search(api, radius_m=8000, limit=7, **({"cursor": cursor} if cursor else {}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == nearest_seeded(8000)


def manager_of_several_stations(stack, api) -> tuple[str, dict]:
    """A seeded manager whose stations other tests (orders) are unlikely to price against."""
    account = max((s for s in stack["staff"] if s["role"] == "manager"),
                  key=lambda s: len(s["station_ids"]))
    response = requests.post(f"{api}/v1/staff/login", json={
        "username": account["username"], "password": account["password"]}, timeout=10)
    response.raise_for_status()
    return response.json()["token"], account


def put_92(api, token, station_id, guide, pump):
    return requests.put(f"{api}/v1/staff/stations/{station_id}/prices",
                        json={"grades": [{"grade": "92", "guide_price_fen": guide,
                                          "pump_price_fen": pump}]},
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_managers_price_change_appears_in_the_next_search(stack, api):
    token, account = manager_of_several_stations(stack, api)
    station_id = account["station_ids"][-1]
    detail = requests.get(f"{api}/v1/stations/{station_id}", timeout=10).json()
    before = next(g for g in detail["grades"] if g["grade"] == "92")
    new_pump = before["pump_price_fen"] - 7

    changed = put_92(api, token, station_id, before["guide_price_fen"], new_pump)
    try:
        assert changed.status_code == 200, changed.text
        listed = search(api, radius_m=50_000, grade="92", limit=100)["items"]
        offer = next(g for i in listed if i["id"] == station_id
                     for g in i["grades"] if g["grade"] == "92")
        assert offer["pump_price_fen"] == new_pump
        assert offer["price_fen"] <= new_pump
    finally:  # the stack is shared by the session: leave the seeded price as it was
        put_92(api, token, station_id, before["guide_price_fen"], before["pump_price_fen"])


def test_an_attendants_price_change_is_refused(stack, api):
    token, account = staff_token(stack, "attendant")

    response = requests.put(f"{api}/v1/staff/stations/{account['station_ids'][0]}/prices",
                            json={"grades": [{"grade": "92", "guide_price_fen": 718,
                                              "pump_price_fen": 600}]},
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert response.status_code == 403 and response.json()["code"] == "ROLE_NOT_ALLOWED"


def test_sort_by_cost_ranks_the_seeded_stations_by_effective_cost(stack, api):
    items = search(api, radius_m=10_000, sort="cost", grade="92", liters=40, limit=100)["items"]

    costs = [i["cost"]["effective_cost_fen"] for i in items]
    assert costs == sorted(costs) and len(items) > 5
    nearest = min(items, key=lambda i: i["distance_m"])
    assert nearest["cost"]["saving_fen"] == 0
