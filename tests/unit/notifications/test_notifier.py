"""The notifier on moto with the WeChat sandbox: at most one message per event, never more than
the driver accepted, and quota given back only when WeChat did not use it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.providers import http
from chalicelib.services.notifications import subscriptions
from chalicelib.services.notifications.sender import RetryLater, deliver
from chalicelib.store.notifications import subscriptions as subs
from tests.unit.notifications.fixtures import TEMPLATE_IDS, payment_event

PAYMENT = TEMPLATE_IDS[sm.PAYMENT_RECEIVED]


def accept(driver, n=1):
    """The driver taps "allow" n times: WeChat and our count both grant n."""
    for _ in range(n):
        subscriptions.accept(driver.id, [PAYMENT])


def remaining(driver) -> int:
    return subs.quotas(driver.id).get(PAYMENT, 0)


def test_an_event_with_quota_sends_one_message_and_uses_one_quota(wechat, driver):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    accept(driver)
    event = payment_event(driver.id)

    assert deliver(event) == "sent"

    (message,) = wechat.messages(driver.openid)
    assert message["template_id"] == PAYMENT and message["page"] == event["page"]
    assert message["data"]["thing1"]["value"] == "太原迎泽加油站"
    record = subs.get_record(event["event_id"])
    assert (record.status, record.outcome, record.msgid) == ("SENT", "sent", str(message["msgid"]))
    assert remaining(driver) == 0


def test_a_redelivered_event_never_sends_twice(wechat, driver):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED, sm.PAYMENT_RECEIVED)
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    accept(driver, 2)
    event = payment_event(driver.id)

    outcomes = [deliver(event) for _ in range(3)]

    assert outcomes == ["sent", "duplicate", "duplicate"]
    assert len(wechat.messages(driver.openid)) == 1 and remaining(driver) == 1


def test_without_quota_nothing_is_sent_and_the_event_is_skipped(wechat, driver):
    event = payment_event(driver.id)

    assert deliver(event) == sm.NO_QUOTA

    assert wechat.messages() == []
    assert subs.get_record(event["event_id"]).status == "SKIPPED"


def test_43101_is_final_and_sets_our_count_to_zero(wechat, driver):
    accept(driver, 3)  # the mini-program said so, WeChat never granted any
    event = payment_event(driver.id)

    assert deliver(event) == sm.NO_QUOTA

    assert remaining(driver) == 0
    record = subs.get_record(event["event_id"])
    assert (record.status, record.errcode) == ("FAILED", 43101)
    assert deliver(event) == "duplicate"


def test_an_acceptance_after_the_quota_was_taken_survives_a_43101(wechat, driver):
    accept(driver)
    taken_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    accept(driver)  # arrives while the send is under way

    assert subs.empty(driver.id, PAYMENT, taken_at=taken_at) is False
    assert remaining(driver) == 2


@pytest.mark.parametrize("errcode", [45009, 45011, -1])
def test_a_retryable_error_gives_the_quota_back_and_the_event_comes_again(wechat, driver, errcode):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    accept(driver)
    wechat.fail_next(errcode)
    event = payment_event(driver.id)

    with pytest.raises(RetryLater):
        deliver(event)

    assert remaining(driver) == 1
    record = subs.get_record(event["event_id"])
    assert (record.status, record.errcode) == ("RETRY", errcode)
    assert deliver(event) == "sent"
    assert subs.get_record(event["event_id"]).attempts == 2
    assert len(wechat.messages(driver.openid)) == 1 and remaining(driver) == 0


def test_an_invalid_message_is_final_and_the_unused_quota_stays(wechat, driver):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    accept(driver)
    wechat.fail_next(47003)
    event = payment_event(driver.id)

    assert deliver(event) == sm.INVALID

    assert remaining(driver) == 1
    assert subs.get_record(event["event_id"]).status == "FAILED"
    assert deliver(event) == "duplicate"


def test_wechat_unreachable_retries_later_with_the_quota_back(wechat, driver, monkeypatch):
    accept(driver)
    monkeypatch.setenv("WECHAT_API_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr(http.time, "sleep", lambda s: None)
    from tests.conftest import reset_caches
    reset_caches()

    with pytest.raises(RetryLater):
        deliver(payment_event(driver.id))

    assert remaining(driver) == 1


def test_no_answer_in_time_is_never_sent_again_and_keeps_the_quota_used(
        wechat, driver, monkeypatch):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    accept(driver, 2)
    event = payment_event(driver.id)
    from chalicelib.providers.wechat import get_wechat
    get_wechat().access_token()
    session = http.get_session()
    original = session.request

    def times_out(method, url, **kwargs):
        original(method, url, **kwargs)  # WeChat gets it and sends; its answer is lost
        raise requests.ReadTimeout("read timed out")
    monkeypatch.setattr(session, "request", times_out)

    assert deliver(event) == "uncertain"
    monkeypatch.setattr(session, "request", original)

    assert deliver(event) == "duplicate"
    assert len(wechat.messages(driver.openid)) == 1 and remaining(driver) == 1


def test_events_for_unknown_users_or_unconfigured_kinds_are_recorded_not_sent(
        wechat, driver, monkeypatch):
    assert deliver(payment_event("u-nobody")) == "no_user"
    monkeypatch.setenv("WECHAT_TEMPLATE_IDS", "{}")
    from tests.conftest import reset_caches
    reset_caches()
    event = payment_event(driver.id)

    assert deliver(event) == "not_configured"
    assert subs.get_record(event["event_id"]).outcome == "not_configured"
    assert wechat.messages() == []


def test_a_malformed_event_is_dropped(wechat, aws):
    assert deliver({"kind": "payment_received", "user_id": "u"}) == "malformed"
