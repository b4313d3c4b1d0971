"""Unit tier: AWS is moto in-process, with the tables of infra/template.yaml."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from devstack import greedy_routes, infra
from devstack.servers import serve
from devstack.sandboxes import wechat as wechat_sandbox

WECHAT_APPID = "wx_unit_test_app"


@pytest.fixture
def aws():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="cn-north-1")
        infra.create_tables(client, "local", "cn-north-1")
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


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app
    greedy_routes.install()
    with Client(app, stage_name="local") as test_client:
        yield test_client
