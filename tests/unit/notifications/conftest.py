"""Notifications on moto: the template ids configured, the WeChat sandbox with those templates,
the notifier queue of infra/template.yaml."""
from __future__ import annotations

import pytest

from tests.moto_aws import queues_and_buckets
from tests.unit.notifications.fixtures import new_driver, point_at_templates, start_wechat


@pytest.fixture(autouse=True)
def templates(monkeypatch, base_environment):
    point_at_templates(monkeypatch)


@pytest.fixture(scope="session")
def message_sandbox():
    sandbox = start_wechat()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def wechat(message_sandbox, monkeypatch, templates):
    """Overrides the unit tier's sandbox: this one knows the subscribe-message templates."""
    return message_sandbox.point(monkeypatch)


@pytest.fixture
def queue(aws):
    """The notifier queue (and every other queue of infra/) in moto; yields its URL."""
    resources = queues_and_buckets()
    return resources["NotificationQueue"]["Ref"]


@pytest.fixture
def driver(aws):
    return new_driver()

