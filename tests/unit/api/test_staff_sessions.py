"""Finding 3: a staff token is only as good as the account behind it. Disabling an account,
changing its role or stations, or logging out everywhere takes effect on the next request."""
from __future__ import annotations

import json

from chalicelib.domain.passwords import hash_password
from chalicelib.store.identity import staff as staff_store

JSON = {"Content-Type": "application/json"}
PASSWORD = "correct horse"


def make_staff(username, role="manager", stations=("ty-001",)):
    staff_store.put_staff(staff_store.StaffAccount(
        username=username, staff_id=f"s_{username}", role=role, station_ids=frozenset(stations),
        password_hash=hash_password(PASSWORD)))


def login(client, username) -> dict:
    response = client.http.post("/v1/staff/login", headers=JSON,
                                body=json.dumps({"username": username, "password": PASSWORD}))
    assert response.status_code == 200, response.json_body
    return {"Authorization": f"Bearer {response.json_body['token']}", **JSON}


def station_orders(client, auth):
    return client.http.get("/v1/staff/orders?station_id=ty-001", headers=auth)


def test_a_disabled_account_loses_its_token_and_its_login_at_once(client):
    make_staff("hq-1", role="hq", stations=())
    make_staff("mgr-gone")
    hq, manager = login(client, "hq-1"), login(client, "mgr-gone")
    assert station_orders(client, manager).status_code == 200

    disabled = client.http.post("/v1/staff/accounts/mgr-gone/disable", headers=hq)

    assert disabled.status_code == 204
    refused = station_orders(client, manager)
    assert refused.status_code == 401 and refused.json_body["code"] == "TOKEN_REVOKED"
    again = client.http.post("/v1/staff/login", headers=JSON,
                             body=json.dumps({"username": "mgr-gone", "password": PASSWORD}))
    assert again.status_code == 401 and again.json_body["code"] == "INVALID_CREDENTIALS"


def test_only_hq_disables_accounts(client):
    make_staff("mgr-a")
    make_staff("mgr-b")

    response = client.http.post("/v1/staff/accounts/mgr-b/disable", headers=login(client, "mgr-a"))

    assert response.status_code == 403 and response.json_body["code"] == "ROLE_NOT_ALLOWED"


def test_disabling_an_unknown_account_is_a_404(client):
    make_staff("hq-2", role="hq", stations=())
    response = client.http.post("/v1/staff/accounts/ghost/disable", headers=login(client, "hq-2"))
    assert response.status_code == 404 and response.json_body["code"] == "STAFF_NOT_FOUND"


def test_moving_a_manager_to_another_station_ends_their_old_token(client):
    make_staff("mgr-moved")
    old = login(client, "mgr-moved")

    make_staff("mgr-moved", stations=("ty-002",))

    assert station_orders(client, old).status_code == 401
    assert station_orders(client, login(client, "mgr-moved")).status_code == 403


def test_log_out_everywhere_ends_every_token_of_the_account(client):
    make_staff("mgr-lost-phone")
    phone, desk = login(client, "mgr-lost-phone"), login(client, "mgr-lost-phone")

    assert client.http.post("/v1/staff/logout-all", headers=desk).status_code == 204

    assert station_orders(client, phone).status_code == 401
    assert station_orders(client, desk).status_code == 401
    assert station_orders(client, login(client, "mgr-lost-phone")).status_code == 200


def test_the_disable_route_is_in_the_openapi_document(client):
    paths = client.http.get("/v1/openapi.json").json_body["paths"]
    assert "post" in paths["/v1/staff/accounts/{username}/disable"]
    assert "post" in paths["/v1/staff/logout-all"]
