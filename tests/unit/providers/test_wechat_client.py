"""The WeChat client against its sandbox: login codes and the cached access token."""
from __future__ import annotations

import pytest
import requests

from chalicelib.domain.errors import Forbidden, RateLimited, Unauthenticated
from chalicelib.providers.wechat import WeChatClient


@pytest.fixture
def client(wechat):
    return WeChatClient(wechat.url, "wx_unit_test_app", "test-app-secret")


def code_for(wechat, openid):
    return requests.post(f"{wechat.url}/sandbox/login-code", json={"openid": openid},
                         timeout=5).json()["code"]


def test_code_gives_the_openid_once(client, wechat):
    code = code_for(wechat, "o-1")
    assert client.code_to_session(code).openid == "o-1"
    with pytest.raises(Unauthenticated):
        client.code_to_session(code)


def test_expired_code_is_refused(client, wechat, monkeypatch):
    code = code_for(wechat, "o-2")
    state = wechat.server.app.config["sandbox_state"]
    openid, issued = state.codes[code]
    state.codes[code] = (openid, issued - 301)  # older than WeChat's 5 minutes
    with pytest.raises(Unauthenticated):
        client.code_to_session(code)


def test_errcodes_become_domain_errors(client, wechat):
    requests.post(f"{wechat.url}/sandbox/fail-next", json={"errcode": 45011}, timeout=5)
    with pytest.raises(RateLimited):
        client.code_to_session(code_for(wechat, "o-3"))
    with pytest.raises(Forbidden):
        client.code_to_session(code_for(wechat, "risky"))


def test_access_token_is_cached_until_shortly_before_expiry(client):
    first = client.access_token(now=1_000_000)
    assert client.access_token(now=1_000_000 + 6_000) == first  # 7200 s minus the early refresh
    assert client.access_token(now=1_000_000 + 7_000) != first


def test_wrong_app_secret_is_not_a_token(wechat):
    from chalicelib.domain.errors import UpstreamUnavailable
    with pytest.raises(UpstreamUnavailable):
        WeChatClient(wechat.url, "wx_unit_test_app", "wrong").access_token()
