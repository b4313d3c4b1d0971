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


def test_hq_lists_every_account_a_page_at_a_time_without_password_hashes(client):
    make_staff("hq-lister", role="hq", stations=())
    for n in range(4):
        make_staff(f"mgr-{n}", stations=(f"ty-00{n}", "ty-009"))
    hq = login(client, "hq-lister")
    client.http.post("/v1/staff/accounts/mgr-2/disable", headers=hq)

    seen, cursor, pages = [], None, 0
    while True:
        path = "/v1/staff/accounts?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.http.get(path, headers=hq)
        assert page.status_code == 200, page.json_body
        seen += page.json_body["items"]
        cursor, pages = page.json_body["next_cursor"], pages + 1
        if cursor is None:
            break

    assert pages >= 3
    assert sorted(a["username"] for a in seen) == ["hq-lister", "mgr-0", "mgr-1", "mgr-2", "mgr-3"]
    mgr2 = next(a for a in seen if a["username"] == "mgr-2")
    assert mgr2 == {"username": "mgr-2", "staff_id": "s_mgr-2", "role": "manager",
                    "station_ids": ["ty-002", "ty-009"], "display_name": None, "disabled": True}
    assert not any("password" in key for a in seen for key in a)


def test_only_hq_lists_accounts_and_a_bad_cursor_is_a_400(client):
    make_staff("mgr-peek")
    make_staff("hq-3", role="hq", stations=())

    refused = client.http.get("/v1/staff/accounts", headers=login(client, "mgr-peek"))
    bad = client.http.get("/v1/staff/accounts?cursor=a%20b", headers=login(client, "hq-3"))
    too_many = client.http.get("/v1/staff/accounts?limit=101", headers=login(client, "hq-3"))

    assert (refused.status_code, refused.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (bad.status_code, bad.json_body["code"]) == (400, "INVALID_CURSOR")
    assert (too_many.status_code, too_many.json_body["code"]) == (400, "LIMIT_OUT_OF_RANGE")
