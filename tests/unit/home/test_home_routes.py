"""Home and marketing routes over the Chalice test client (answers checked against the contract)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.services.identity.tokens import DRIVER, Principal
from chalicelib.store.stations import stations as station_store
from chalicelib.store.identity import users as user_store
from tests.paystack import bearer_token
from tests.station_factory import TAIYUAN, make_station, staff

JSON = {"Content-Type": "application/json"}
DRIVER_1 = Principal(kind=DRIVER, subject="u_home_1")
HQ, MANAGER = staff("hq", subject="s_mkt"), staff("manager", "ty-hr1", subject="s_mgr")


def bearer(principal) -> dict:
    return {**JSON, "Authorization": f"Bearer {bearer_token(principal)}"}


def popup_body(**changes) -> dict:
    now = datetime.now(timezone.utc)
    return {"title": "周末加油", "image_url": "https://img.example.cn/w.png",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=2)).isoformat(), **changes}


@pytest.fixture
def api(client):
    station_store.put_station(make_station("ty-hr1"))
    user_store.create_user(user_store.User(id=DRIVER_1.subject, openid="o-home-1",
                                           created_at=datetime.now(timezone.utc)))
    return client


def create_popup(api, who=HQ, **changes):
    return api.http.post("/v1/staff/marketing/popups", body=json.dumps(popup_body(**changes)),
                         headers=bearer(who))


def test_hq_creates_a_popup_a_driver_sees_it_once_and_hq_sees_the_counts(api):
    created = create_popup(api, frequency="once_ever",
                           rules=[{"kind": "near_station", "station_id": "ty-hr1", "radius_m": 500}])
    assert created.status_code == 201
    popup_id, window = created.json_body["id"], created.json_body
    assert created.json_body == {
        "id": popup_id, "placement": "popup", "title": "周末加油",
        "image_url": "https://img.example.cn/w.png", "link": None,
        "starts_at": window["starts_at"], "ends_at": window["ends_at"], "priority": 0,
        "frequency": "once_ever", "rules": [{"kind": "near_station", "station_id": "ty-hr1",
                                             "lat": window["rules"][0]["lat"],
                                             "lng": window["rules"][0]["lng"], "radius_m": 500}],
        "status": "live", "created_by": "s_mkt", "created_at": window["created_at"],
        "stats": {"shown": 0, "clicked": 0}}

    home = api.http.get(f"/v1/home?lat={TAIYUAN[0]}&lng={TAIYUAN[1]}", headers=bearer(DRIVER_1))
    assert home.status_code == 200
    assert home.json_body == {"popup": {
        "id": popup_id, "placement": "popup", "title": "周末加油",
        "image_url": "https://img.example.cn/w.png", "link": None,
        "ends_at": window["ends_at"]}, "banners": []}
    seen = api.http.post(f"/v1/home/popups/{popup_id}/seen", headers=bearer(DRIVER_1))
    assert seen.body == f'{{"popup_id":"{popup_id}","counted":true}}'.encode()
    clicked = api.http.post(f"/v1/home/popups/{popup_id}/clicked", headers=bearer(DRIVER_1))
    assert clicked.body == f'{{"popup_id":"{popup_id}","counted":true}}'.encode()
    again = api.http.get(f"/v1/home?lat={TAIYUAN[0]}&lng={TAIYUAN[1]}", headers=bearer(DRIVER_1))
    assert again.json_body["popup"] is None

    listed = api.http.get("/v1/staff/marketing/popups", headers=bearer(HQ))
    assert listed.json_body["items"][0]["stats"] == {"shown": 1, "clicked": 1}


def test_a_paused_popup_leaves_the_home_page(api):
    popup_id = create_popup(api).json_body["id"]

    paused = api.http.post(f"/v1/staff/marketing/popups/{popup_id}/pause", headers=bearer(HQ))
    twice = api.http.post(f"/v1/staff/marketing/popups/{popup_id}/pause", headers=bearer(HQ))

    assert paused.json_body["status"] == "paused"
    assert (twice.status_code, twice.json_body["code"]) == (409, "POPUP_NOT_ACTIVE")
    assert api.http.get("/v1/home", headers=bearer(DRIVER_1)).json_body["popup"] is None
    resumed = api.http.post(f"/v1/staff/marketing/popups/{popup_id}/resume", headers=bearer(HQ))
    assert resumed.json_body["status"] == "live"


@pytest.mark.parametrize("changes, status, code", [
    ({"ends_at": "2020-01-01T00:00:00Z", "starts_at": "2021-01-01T00:00:00Z"}, 400,
     "POPUP_WINDOW_INVALID"),
    ({"rules": [{"kind": "member_level", "levels": ["diamond"]}]}, 400, "UNKNOWN_MEMBER_LEVEL"),
    ({"rules": [{"kind": "near_station", "station_id": "nope", "radius_m": 10}]}, 400,
     "UNKNOWN_STATION"),
    ({"rules": [{"kind": "district"}]}, 400, "FIELD_REQUIRED"),
    ({"placement": "modal"}, 400, "FIELD_INVALID"),
])
def test_bad_popups_get_documented_errors(api, changes, status, code):
    response = create_popup(api, **changes)

    assert (response.status_code, response.json_body["code"]) == (status, code)


def test_a_manager_may_not_manage_popups(api):
    response = create_popup(api, who=MANAGER)

    assert (response.status_code, response.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")


def test_home_needs_a_driver_and_both_coordinates(api):
    no_token = api.http.get("/v1/home")
    half = api.http.get("/v1/home?lat=37.8", headers=bearer(DRIVER_1))
    wgs = api.http.get("/v1/home?lat=37.8&lng=112.5&coord=wgs84", headers=bearer(DRIVER_1))

    assert (no_token.status_code, no_token.json_body["code"]) == (401, "TOKEN_REQUIRED")
    assert (half.status_code, half.json_body["code"]) == (400, "POSITION_INCOMPLETE")
    assert wgs.status_code == 200


def test_views_of_unknown_popups_are_404(api):
    response = api.http.post("/v1/home/popups/pp_none/seen", headers=bearer(DRIVER_1))

    assert (response.status_code, response.json_body["code"]) == (404, "POPUP_NOT_FOUND")
