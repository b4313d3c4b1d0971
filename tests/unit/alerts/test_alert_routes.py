"""Alert routes over the Chalice test client: auth, status codes, bodies (checked against the
documented contract by the client fixture)."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.services.identity.tokens import DRIVER, Principal
from chalicelib.store.stations import stations as station_store
from tests.paystack import bearer_token
from tests.station_factory import make_station, staff

JSON = {"Content-Type": "application/json"}


def bearer(principal) -> dict:
    return {**JSON, "Authorization": f"Bearer {bearer_token(principal)}"}


DRIVER_1 = Principal(kind=DRIVER, subject="u_route_1")


@pytest.fixture
def api(client):
    station_store.put_station(make_station("ty-r1"))
    return client


def post_alert(api, body, who=DRIVER_1):
    return api.http.post("/v1/alerts", body=json.dumps(body), headers=bearer(who))


def test_a_driver_follows_lists_and_unfollows(api):
    created = post_alert(api, {"station_id": "ty-r1", "grade": "92", "below_price_fen": 700})
    assert created.status_code == 200
    at = created.json_body["created_at"]
    alert = {"station_id": "ty-r1", "station_name": "测试加油站", "grade": "92",
             "grade_name": "92#汽油", "below_price_fen": 700, "created_at": at, "updated_at": at}
    assert created.json_body == {**alert, "created": True}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", at)

    listed = api.http.get("/v1/alerts", headers=bearer(DRIVER_1))
    assert listed.json_body == {"items": [alert], "next_cursor": None}  # no "created" in a list

    removed = api.http.delete("/v1/alerts/ty-r1/92", headers=bearer(DRIVER_1))
    assert removed.status_code == 204
    assert api.http.get("/v1/alerts", headers=bearer(DRIVER_1)).json_body["items"] == []


@pytest.mark.parametrize("body, status, code", [
    ({"station_id": "ty-none", "grade": "92"}, 404, "STATION_NOT_FOUND"),
    ({"station_id": "ty-r1", "grade": "98"}, 422, "GRADE_NOT_SOLD"),
    ({"station_id": "ty-r1", "grade": "x"}, 400, "UNKNOWN_GRADE"),
    ({"station_id": "ty-r1", "grade": "92", "below_price_fen": 0}, 400, "ALERT_THRESHOLD_INVALID"),
    ({"station_id": "ty-r1", "grade": "92", "extra": 1}, 400, "UNKNOWN_FIELD"),
])
def test_bad_alerts_get_their_documented_error(api, body, status, code):
    response = post_alert(api, body)

    assert (response.status_code, response.json_body["code"]) == (status, code)


def test_alerts_need_a_driver_token(api):
    no_token = api.http.get("/v1/alerts")
    staff_token = api.http.get("/v1/alerts", headers=bearer(staff("hq")))

    assert (no_token.status_code, no_token.json_body["code"]) == (401, "TOKEN_REQUIRED")
    assert (staff_token.status_code, staff_token.json_body["code"]) == (403, "WRONG_TOKEN_KIND")


def test_unfollowing_what_is_not_followed_is_404(api):
    response = api.http.delete("/v1/alerts/ty-r1/95", headers=bearer(DRIVER_1))

    assert (response.status_code, response.json_body["code"]) == (404, "ALERT_NOT_FOUND")
