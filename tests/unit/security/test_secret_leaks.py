"""Finding 1: the WeChat app secret and access token never reach a caller, a stored record or a
log line, whatever an outbound call's failure says about its URL."""
from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib.domain.errors import UpstreamUnavailable
from chalicelib.observability import get_logger
from chalicelib.providers import http
from chalicelib.providers.wechat import WeChatClient
from tests.conftest import add_secrets, reset_caches

CANARY_SECRET = "canary-app-secret-7f3a9c"
CANARY_TOKEN = "canary-access-token-51be02"
NOWHERE = "http://127.0.0.1:9"  # nothing listens on discard


def test_unreachable_wechat_login_never_shows_the_app_secret(client, monkeypatch,
                                                             base_environment, log_lines):
    add_secrets(base_environment, wechat_app_secret=CANARY_SECRET)
    monkeypatch.setenv("WECHAT_API_URL", NOWHERE)
    monkeypatch.setenv("WECHAT_APPID", "wx_unit_test_app")
    reset_caches()

    response = client.http.post("/v1/auth/login", body=json.dumps({"code": "any"}),
                                headers={"Content-Type": "application/json"})

    assert response.status_code == 503
    assert CANARY_SECRET not in response.body.decode()
    assert "?" not in response.json_body["message"]
    assert CANARY_SECRET not in log_lines.getvalue()


def test_an_outbound_failure_logged_with_its_traceback_holds_no_query(log_lines):
    with pytest.raises(UpstreamUnavailable) as caught:
        http.request("GET", f"{NOWHERE}/sns/jscode2session",
                     params={"appid": "wx", "secret": CANARY_SECRET, "js_code": "c"}, retries=0)
    try:
        raise caught.value
    except UpstreamUnavailable:
        get_logger().exception("login failed")

    assert CANARY_SECRET not in str(caught.value)
    written = log_lines.getvalue()
    assert "login failed" in written
    assert CANARY_SECRET not in written


def test_a_log_line_naming_a_secret_in_a_url_or_field_is_scrubbed(log_lines):
    get_logger().warning(f"calling https://api.example/x?access_token={CANARY_TOKEN}&a=1",
                         extra={"url": f"/cgi-bin/token?secret={CANARY_SECRET}"})
    written = log_lines.getvalue()
    assert CANARY_TOKEN not in written and CANARY_SECRET not in written


def test_a_failed_subscribe_send_never_carries_the_access_token():
    client = WeChatClient(NOWHERE, "wx_unit_test_app", CANARY_SECRET)
    client._token = (CANARY_TOKEN, float("inf"))

    with pytest.raises(UpstreamUnavailable) as caught:
        client.send_subscribe_message("o-x", "tmpl", {"thing1": {"value": "x"}})

    assert CANARY_TOKEN not in caught.value.message
    assert CANARY_TOKEN not in str(caught.value)
