"""Quota under concurrency on the real engine (DynamoDB Local): events delivered side by side
never send more messages than the driver accepted, and one event delivered many times at once
sends once."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.services.notifications import subscriptions
from chalicelib.services.notifications.sender import deliver
from chalicelib.store.notifications import subscriptions as subs
from tests.unit.notifications.fixtures import (TEMPLATE_IDS, new_driver, payment_event,
                                               point_at_templates, start_wechat)

pytestmark = pytest.mark.slow
PAYMENT = TEMPLATE_IDS[sm.PAYMENT_RECEIVED]


@pytest.fixture(scope="module")
def sandbox():
    running = start_wechat()
    yield running
    running.stop()


@pytest.fixture
def wechat(sandbox, real_dynamodb, monkeypatch):
    point_at_templates(monkeypatch)
    return sandbox.point(monkeypatch)


def all_at_once(events: list[dict]) -> list[str]:
    start = threading.Barrier(len(events))

    def one(event):
        start.wait()
        return deliver(event)
    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(one, events))


def test_twenty_concurrent_events_with_three_quotas_send_exactly_three(wechat):
    driver = new_driver()
    for _ in range(5):  # WeChat holds more than we count: our three are the limit
        wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    for _ in range(3):
        subscriptions.accept(driver.id, [PAYMENT])
    events = [payment_event(driver.id) for _ in range(20)]

    outcomes = all_at_once(events)

    assert outcomes.count("sent") == 3 and outcomes.count(sm.NO_QUOTA) == 17
    assert len(wechat.messages(driver.openid)) == 3
    records = [subs.get_record(e["event_id"]) for e in events]
    assert sum(r.status == subs.SENT for r in records) == 3
    assert sum(r.status == subs.SKIPPED for r in records) == 17
    assert subs.quotas(driver.id)[PAYMENT] == 0


def test_one_event_delivered_ten_times_at_once_sends_once(wechat):
    driver = new_driver()
    for _ in range(3):
        wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
        subscriptions.accept(driver.id, [PAYMENT])
    event = payment_event(driver.id)

    outcomes = all_at_once([event] * 10)

    assert outcomes.count("sent") == 1 and outcomes.count("duplicate") == 9
    assert len(wechat.messages(driver.openid)) == 1
    assert subs.quotas(driver.id)[PAYMENT] == 2


def test_concurrent_acceptances_all_count(wechat):
    driver = new_driver()
    start = threading.Barrier(8)

    def accept(_):
        start.wait()
        subscriptions.accept(driver.id, [PAYMENT])
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(accept, range(8)))

    assert subs.quotas(driver.id)[PAYMENT] == 8
