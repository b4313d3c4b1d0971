"""Integration tier: the store against the real engine (DynamoDB Local), and the same suite on
moto, so the two can never drift apart (moto forgives what DynamoDB rejects)."""
from __future__ import annotations

import os

import pytest

from devstack import infra
from tests.conftest import reset_caches
from devstack.dynamodb_local import DynamoDBLocal
from tests.moto_aws import fresh_aws


@pytest.fixture(scope="session")
def dynamodb_local():
    engine = DynamoDBLocal().start()
    infra.create_tables(engine.client(), "local", "cn-north-1")
    yield engine
    engine.stop()


@pytest.fixture
def real_dynamodb(dynamodb_local, monkeypatch):
    """The store pointed at DynamoDB Local (tables shared by the session: use unique ids)."""
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", dynamodb_local.endpoint_url)
    # This tier has no SQS or S3: point them at a closed loopback port, so a best-effort publish
    # (notifications, alerts) fails at once and nothing ever leaves the machine.
    for service in ("SQS", "S3"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", "http://127.0.0.1:9")
    reset_caches()
    yield dynamodb_local.client()


@pytest.fixture(params=["moto", "dynamodb-local"])
def dynamodb(request, monkeypatch):
    """One suite, two engines."""
    if request.param == "dynamodb-local":
        yield request.getfixturevalue("real_dynamodb")
        return
    with fresh_aws() as client:
        yield client


@pytest.fixture
def roomy_caps(monkeypatch):
    """For tests that send one driver's many requests at once to test something else: the caps
    on unpaid orders and top-ups and the interval between payment checks step aside (they
    have their own tests in tests/unit/orders/test_driver_throttles.py)."""
    monkeypatch.setenv("DRIVER_MAX_UNPAID_ORDERS", "100")
    monkeypatch.setenv("DRIVER_MAX_UNPAID_TOPUPS", "100")
    monkeypatch.setenv("PAYMENT_CHECK_INTERVAL_S", "0")
    reset_caches()
    yield
    monkeypatch.undo()
    reset_caches()


@pytest.fixture(scope="session")
def packaging(tmp_path_factory):
    """The prod package and the cfn-lint runs of it and of infra/template.yaml, running in other
    processes (tests/integration/packaging_runs.py)."""
    from tests.integration.packaging_runs import Packaging

    runs = Packaging(tmp_path_factory.mktemp("package"))
    yield runs
    runs.stop()


@pytest.fixture(scope="session", autouse=True)
def _packaging_from_the_first_test(request):
    """Starts the packaging at the tier's first test when any test chosen reads it, so that it
    runs while the others do. Not in a pytest-xdist process: each process sees every test
    chosen, not the ones it will run, so both would package though one needs it; there the
    packaging starts with the first test that reads it. Packagings in two processes take turns
    (infra/package.py locks .chalice/deployments), the second reusing the first one's zip."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any("packaging" in item.fixturenames or "packaged" in item.fixturenames
           for item in request.session.items):
        request.getfixturevalue("packaging")


@pytest.fixture(scope="session")
def packaged(packaging):
    """The prod package (test_packaging.py, test_alarms.py, test_invoice_packaging.py), built
    once: the template as data, and the directory holding sam.yaml."""
    return packaging.template(), packaging.out
