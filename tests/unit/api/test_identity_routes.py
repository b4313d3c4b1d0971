"""Driver and staff login over the app's routes (Chalice test client, moto, WeChat sandbox)."""
from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
import requests

from chalicelib.domain.passwords import hash_password
from chalicelib.settings import get_settings
from chalicelib.store.identity import staff as staff_store

JSON = {"Content-Type": "application/json"}


def login_code(wechat, openid: str) -> str:
    return requests.post(f"{wechat.url}/sandbox/login-code", json={"openid": openid},
                         timeout=5).json()["code"]


def post(client, path, body, headers=None):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post(path, body=raw, headers={**JSON, **(headers or {})})


def driver_login(client, wechat, openid=None):
    openid = openid or f"o-{uuid.uuid4().hex}"
    response = post(client, "/v1/auth/login", {"code": login_code(wechat, openid)})
    assert response.status_code == 200, response.body
    return response.json_body


def test_new_driver_logs_in_and_reads_their_profile(client, wechat):
    login = driver_login(client, wechat)

    me = client.http.get("/v1/me", headers={"Authorization": f"Bearer {login['token']}"})

    assert me.status_code == 200
    assert me.json_body["id"] == login["user"]["id"]
    assert login["expires_in"] == 7200
    assert "session_key" not in json.dumps(login) and "openid" not in login["user"]


def test_same_openid_logs_in_as_the_same_user(client, wechat):
    first = driver_login(client, wechat, "o-returning")
    second = driver_login(client, wechat, "o-returning")
    assert first["user"]["id"] == second["user"]["id"]


def test_reused_login_code_is_refused(client, wechat):
    code = login_code(wechat, "o-reuse")
    assert post(client, "/v1/auth/login", {"code": code}).status_code == 200

    again = post(client, "/v1/auth/login", {"code": code})

    assert again.status_code == 401
    assert again.json_body["code"] == "INVALID_LOGIN_CODE"


def test_unknown_login_code_is_refused(client, wechat):
    response = post(client, "/v1/auth/login", {"code": "made-up"})
    assert response.status_code == 401
    assert response.json_body["code"] == "INVALID_LOGIN_CODE"


def test_wechat_rate_limit_is_a_429(client, wechat):
    requests.post(f"{wechat.url}/sandbox/fail-next", json={"errcode": 45011}, timeout=5)
    response = post(client, "/v1/auth/login", {"code": login_code(wechat, "o-busy")})
    assert response.status_code == 429
    assert response.json_body["code"] == "WECHAT_RATE_LIMITED"


def test_high_risk_user_is_forbidden(client, wechat):
    response = post(client, "/v1/auth/login", {"code": login_code(wechat, "risky")})
    assert response.status_code == 403
    assert response.json_body["code"] == "HIGH_RISK_USER"


def test_unreachable_wechat_is_a_503_not_a_hang(client, monkeypatch):
    monkeypatch.setenv("WECHAT_API_URL", "http://127.0.0.1:9")  # nothing listens on discard
    monkeypatch.setenv("WECHAT_APPID", "wx_unit_test_app")
    from tests.conftest import reset_caches
    reset_caches()
    started = time.monotonic()

    response = post(client, "/v1/auth/login", {"code": "any"})

    assert response.status_code == 503
    assert response.json_body["code"] == "UPSTREAM_UNAVAILABLE"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("body, code, field", [
    ("{not json", "MALFORMED_JSON", None),
    ("[1, 2]", "BODY_NOT_OBJECT", None),
    ("", "BODY_REQUIRED", None),
    ({}, "FIELD_REQUIRED", "code"),
    ({"code": 42}, "FIELD_INVALID", "code"),
    ({"code": ""}, "FIELD_INVALID", "code"),
    ({"code": "x" * 300}, "FIELD_INVALID", "code"),
    ({"code": "abc", "extra": 1}, "UNKNOWN_FIELD", "extra"),
])
def test_bad_login_bodies_get_a_400_naming_the_problem(client, body, code, field):
    response = post(client, "/v1/auth/login", body)
    assert response.status_code == 400
    assert response.json_body["code"] == code
    assert response.json_body.get("field") == field


def test_oversize_body_is_refused(client):
    response = post(client, "/v1/auth/login", {"code": "x" * 70_000})
    assert response.status_code == 413
    assert response.json_body["code"] == "BODY_TOO_LARGE"


def test_me_without_token_is_401(client):
    response = client.http.get("/v1/me")
    assert response.status_code == 401
    assert response.json_body["code"] == "TOKEN_REQUIRED"


def test_tampered_token_is_401(client, wechat):
    token = driver_login(client, wechat)["token"]
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA"
    response = client.http.get("/v1/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401
    assert response.json_body["code"] == "INVALID_TOKEN"


def test_expired_token_is_401(client, base_environment):
    key = json.loads(base_environment.read_text())["token_signing_key"]
    expired = jwt.encode({"iss": "fuel", "sub": "u_x", "kind": "driver", "iat": 1,
                          "exp": int(time.time()) - 10}, key, algorithm="HS256")
    response = client.http.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json_body["code"] == "TOKEN_EXPIRED"


def make_staff(username="mgr-1", password="correct horse", role="manager", stations=("ty-001",)):
    staff_store.put_staff(staff_store.StaffAccount(
        username=username, staff_id=f"s_{username}", role=role, station_ids=frozenset(stations),
        password_hash=hash_password(password)))


def test_staff_login_returns_a_token_with_role_and_stations(client):
    make_staff(stations=("ty-009", "ty-001"))

    response = post(client, "/v1/staff/login", {"username": "mgr-1", "password": "correct horse"})

    assert response.status_code == 200
    token = response.json_body["token"]
    assert token and response.json_body == {
        "token": token, "expires_in": get_settings().staff_token_ttl_s,
        "staff": {"id": "s_mgr-1", "username": "mgr-1", "role": "manager",
                  "station_ids": ["ty-001", "ty-009"], "display_name": None}}


def test_staff_token_on_a_driver_route_is_403(client):
    make_staff()
    token = post(client, "/v1/staff/login",
                 {"username": "mgr-1", "password": "correct horse"}).json_body["token"]

    response = client.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert response.json_body["code"] == "WRONG_TOKEN_KIND"


def test_wrong_password_and_unknown_user_look_the_same(client):
    make_staff()
    wrong = post(client, "/v1/staff/login", {"username": "mgr-1", "password": "nope"})
    unknown = post(client, "/v1/staff/login", {"username": "ghost", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json_body["code"] == unknown.json_body["code"] == "INVALID_CREDENTIALS"


def test_unknown_route_is_a_json_404(client):
    response = client.http.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.json_body["code"] == "ROUTE_NOT_FOUND"


def test_wrong_method_is_a_json_405(client):
    response = client.http.delete("/v1/me")
    assert response.status_code == 405
    assert response.json_body["code"] == "METHOD_NOT_ALLOWED"
