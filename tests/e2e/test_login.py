"""A driver and station staff log in against the running local stack, over HTTP."""
from __future__ import annotations

import uuid

import requests

from tests.e2e.conftest import driver_token, staff_token


def test_driver_logs_in_through_the_wechat_sandbox_and_reads_their_profile(stack, api):
    token = driver_token(stack, f"o-e2e-{uuid.uuid4().hex}")

    me = requests.get(f"{api}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)

    assert me.status_code == 200
    assert me.json()["id"].startswith("u_")


def test_seeded_manager_logs_in_with_role_and_stations(stack, api):
    token, account = staff_token(stack, "manager")
    assert token
    response = requests.post(f"{api}/v1/staff/login",
                             json={"username": account["username"],
                                   "password": account["password"]}, timeout=10)
    staff = response.json()["staff"]
    assert staff["role"] == "manager" and staff["station_ids"] == sorted(account["station_ids"])


def test_staff_token_is_refused_on_a_driver_route(stack, api):
    token, _ = staff_token(stack, "attendant")
    response = requests.get(f"{api}/v1/me", headers={"Authorization": f"Bearer {token}"},
                            timeout=5)
    assert response.status_code == 403
    assert response.json()["code"] == "WRONG_TOKEN_KIND"


def test_unknown_route_and_malformed_json_are_json_errors(api):
    missing = requests.get(f"{api}/v1/no/such/route", timeout=5)
    malformed = requests.post(f"{api}/v1/auth/login", data=b"{oops",
                              headers={"Content-Type": "application/json"}, timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (404, "ROUTE_NOT_FOUND")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "MALFORMED_JSON")


def test_devstack_json_describes_the_stack(stack):
    for key in ("api_url", "aws_endpoint_url", "wechat_url", "wechatpay_url", "staff"):
        assert stack[key]


def test_devstack_json_lets_a_client_act_as_wechat_pay(stack):
    pay = stack["wechatpay"]
    with open(pay["platform_private_key_path"]) as fh:
        assert "PRIVATE KEY" in fh.read()
    assert pay["public_key_id"].startswith("PUB_KEY_ID_") and len(pay["apiv3_key"]) == 32


def test_api_reference_page_serves_swagger_ui_and_the_document(stack):
    page = requests.get(stack["docs_url"], timeout=5)
    script = requests.get(f"{stack['docs_url']}/static/swagger-ui-bundle.js", timeout=5)
    document = requests.get(f"{stack['docs_url']}/openapi.json", timeout=5)
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert script.status_code == 200 and len(script.content) > 100_000
    assert document.json()["openapi"] == "3.1.0"
    # "Try it out" calls the API itself, not the page's own server.
    assert document.json()["servers"] == [{"url": stack["api_url"]}]
