"""Unit tier: AWS is moto in-process, with the tables of infra/template.yaml."""
from __future__ import annotations

import pytest

from devstack import greedy_routes, preflight
from devstack.servers import serve
from devstack.sandboxes import wechat as wechat_sandbox
from tests.contract_check import check_response
from tests.moto_aws import LEDGER_KEY_ALIAS, fresh_aws

WECHAT_APPID = "wx_unit_test_app"


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto with the empty tables of infra/ and the ledger key, which the app seals
    chain heads with (see tests/moto_aws.py)."""
    from tests.conftest import reset_caches

    with fresh_aws() as client:
        monkeypatch.setenv("LEDGER_KEY_ID", LEDGER_KEY_ALIAS)
        reset_caches()
        yield client


@pytest.fixture
def wechat(monkeypatch):
    """The WeChat sandbox on a loopback port, with the app configured to use it."""
    app = wechat_sandbox.create_app(wechat_sandbox.WeChatSandboxConfig(
        appid=WECHAT_APPID, app_secret="test-app-secret", high_risk_openids={"risky"}))
    running = serve(app)
    monkeypatch.setenv("WECHAT_API_URL", running.url)
    monkeypatch.setenv("WECHAT_APPID", WECHAT_APPID)
    from tests.conftest import reset_caches
    reset_caches()
    yield running
    running.stop()


class _CheckedHTTP:
    """chalice's test HTTP client, checking every answer against the documented contract."""

    def __init__(self, http):
        self._http = http

    def request(self, method, path, headers=None, body=b""):
        response = self._http.request(method, path, headers=headers, body=body)
        check_response(method, path, response.status_code, response.body,
                       response.headers.get("content-type") or response.headers.get("Content-Type"))
        return response

    def __getattr__(self, name):
        method = name.upper()
        if method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            return lambda path, **kwargs: self.request(method, path, **kwargs)
        return getattr(self._http, name)


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app
    greedy_routes.install()
    preflight.install()
    with Client(app, stage_name="local") as test_client:
        test_client._http_client = _CheckedHTTP(test_client.http)
        yield test_client
