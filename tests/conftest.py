"""Settings every test starts from: a local stage, fake AWS credentials, a secrets file.

Tests never reach a real AWS account or the network: AWS is moto (unit) or DynamoDB Local
(integration), outside systems are the devstack sandboxes on loopback.
"""
from __future__ import annotations

import json
import os
import secrets

import pytest
from hypothesis import HealthCheck, settings

from chalicelib.providers import secrets as secret_store
from chalicelib.settings import get_settings
# The local stack, started once per session for whichever tiers ask for it (e2e, browser).
from tests.local_stack import stack  # noqa: F401

BASE_ENV = {
    "STAGE": "local",
    "AWS_REGION": "cn-north-1",
    "AWS_DEFAULT_REGION": "cn-north-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    # No X-Ray daemon here: the tracer stays off (chalicelib/tracing.py).
    "POWERTOOLS_TRACE_DISABLED": "true",
}
_CLEARED = ("AWS_ENDPOINT_URL", "DYNAMODB_ENDPOINT_URL", "SECRETS_ID", "AWS_PROFILE")

# Property tests run the same examples however busy the machine is: no time limit per example,
# and no failure because generating inputs was slow (both measure the machine, not the code).
settings.register_profile("fuel", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fuel")


@pytest.fixture(autouse=True)
def _kept_in_its_xdist_group(request):
    """Under `--dist loadgroup`, pytest-xdist keeps a group's tests in one process by writing the
    group into each test's node id. A pytest whose node ids no longer take that write makes xdist
    hand the group out test by test, silently (pytest-dev/pytest-xdist#1386): fail the grouped
    tests instead, so an upgrade cannot quietly undo the grouping."""
    if (getattr(request.config.option, "loadgroup", False)  # set in xdist's processes only
            and request.node.get_closest_marker("xdist_group") and "@" not in request.node.nodeid):
        pytest.fail("pytest-xdist did not keep this test in its xdist_group: see the pin of "
                    "pytest in requirements-dev.txt", pytrace=False)


def _sessions_sharing_botocore_data():
    """PynamoDB gives each connection a botocore session of its own, and a new session reads
    botocore's endpoint and service models again: about 0.3 s of CPU for each model's
    connection, paid again for every model whenever a test moves the store to another endpoint
    (the integration tier alternates moto and DynamoDB Local test by test). The tests' sessions
    share one loader of those files instead, as the clients of one session always do: the
    same files, read once, never changed after loading."""
    import botocore.session
    from pynamodb.connection import base

    loader = botocore.session.get_session().get_component("data_loader")

    def get_session():
        session = botocore.session.get_session()
        session.register_component("data_loader", loader)
        return session

    base.get_session = get_session


_sessions_sharing_botocore_data()


def reset_caches() -> None:
    """Forget cached settings, secrets and clients, so a test's environment takes effect."""
    get_settings.cache_clear()
    secret_store.clear_cache()
    from chalicelib.providers import http, invoice_issuer, wechat, wechatpay
    wechat.get_wechat.cache_clear()
    wechatpay.get_wechatpay.cache_clear()
    invoice_issuer.get_invoice_issuer.cache_clear()
    http.get_session.cache_clear()
    from chalicelib.providers import ledger_key, queues, storage
    ledger_key.clear_cache()
    queues.clear_cache()
    storage.get_s3.cache_clear()
    from chalicelib.services.marketing import coupons
    coupons.clear_cache()
    from chalicelib.store.stations import density, promotions
    density.clear_cache()
    promotions.forget_chain_kept()


@pytest.fixture(scope="session", autouse=True)
def stays_on_this_machine():
    """A client a test forgot to point at the local stack fails at once (its host does not
    resolve) instead of reaching, or waiting on, the real service."""
    from devstack.offline import allow_outside_hosts, refuse_outside_hosts

    refuse_outside_hosts()
    yield
    allow_outside_hosts()


def environment_of_a_test() -> dict:
    """The environment every test starts in (base_environment), for a process run beside it."""
    env = {**os.environ, **BASE_ENV}
    for key in _CLEARED:
        env.pop(key, None)
    return env


@pytest.fixture(autouse=True)
def base_environment(monkeypatch, tmp_path):
    for key, value in BASE_ENV.items():
        monkeypatch.setenv(key, value)
    for key in _CLEARED:
        monkeypatch.delenv(key, raising=False)
    secrets_path = tmp_path / "secrets.json"
    secrets_path.write_text(json.dumps({"token_signing_key": secrets.token_urlsafe(32),
                                        "wechat_app_secret": "test-app-secret"}))
    monkeypatch.setenv("SECRETS_FILE", str(secrets_path))
    reset_caches()
    yield secrets_path
    reset_caches()


def add_secrets(secrets_path, **values) -> None:
    doc = json.loads(secrets_path.read_text())
    doc.update(values)
    secrets_path.write_text(json.dumps(doc))
    secret_store.clear_cache()


@pytest.fixture(scope="session")
def pay_servers():
    """WeChat Pay and WeChat sandboxes and the app on loopback, shared by a session's tests
    (starting them per test costs seconds); see tests/paystack.py."""
    from tests import paystack

    servers = paystack.start_paystack()
    yield servers
    servers.stop()


@pytest.fixture(scope="session", autouse=True)
def responses_match_the_contract():
    """Every answer an API served on loopback gives any test over HTTP (the e2e stack, the
    integration tier's app server) is checked against what /v1/openapi.json documents."""
    from urllib.parse import urlparse

    import requests

    import app  # noqa: F401 - registers the routes' contracts in this process
    from tests.contract_check import check_response

    original = requests.Session.request

    def checked(self, method, url, *args, **kwargs):
        response = original(self, method, url, *args, **kwargs)
        parsed = urlparse(url)
        if parsed.hostname in ("127.0.0.1", "localhost") and parsed.path.startswith("/v1/"):
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            check_response(method, path, response.status_code, response.content,
                           response.headers.get("content-type"))
        return response

    requests.Session.request = checked
    yield
    requests.Session.request = original
