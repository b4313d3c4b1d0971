"""providers/wechat.py send_subscribe_message against the WeChat sandbox on loopback."""
from __future__ import annotations

import pytest
import requests

from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.domain.errors import UpstreamUnavailable
from chalicelib.providers import http
from chalicelib.providers.wechat import (SubscribeMessageRejected, SubscribeSendUncertain,
                                         get_wechat)
from tests.unit.notifications.fixtures import PAID_AT, TEMPLATE_IDS

PAYMENT = TEMPLATE_IDS[sm.PAYMENT_RECEIVED]


def data(station="太原迎泽加油站"):
    return sm.build_message(sm.PAYMENT_RECEIVED, "o", {"station": station, "amount": 1234,
                                                      "time": PAID_AT}, None,
                            template_id=PAYMENT)["data"]


def test_a_send_with_quota_reaches_the_outbox_and_answers_the_msgid(wechat):
    wechat.subscribe("o-1", sm.PAYMENT_RECEIVED)

    msgid = get_wechat().send_subscribe_message("o-1", PAYMENT, data(), "pages/order/detail?id=9",
                                                state="developer")

    (sent,) = wechat.messages("o-1")
    assert msgid == str(sent["msgid"])
    assert sent["page"] == "pages/order/detail?id=9" and sent["miniprogram_state"] == "developer"
    assert sent["data"] == {"thing1": {"value": "太原迎泽加油站"}, "amount2": {"value": "¥12.34"},
                            "time3": {"value": "2026-11-26 14:30"}}


@pytest.mark.parametrize("errcode, outcome", [
    (43101, sm.NO_QUOTA), (45009, sm.RATE_LIMITED), (47003, sm.INVALID), (40003, sm.INVALID),
    (-1, sm.TRANSIENT)])
def test_an_errcode_is_raised_with_what_it_means(wechat, errcode, outcome):
    wechat.subscribe("o-1", sm.PAYMENT_RECEIVED)
    wechat.fail_next(errcode)

    with pytest.raises(SubscribeMessageRejected) as raised:
        get_wechat().send_subscribe_message("o-1", PAYMENT, data())

    assert (raised.value.errcode, raised.value.outcome) == (errcode, outcome)
    assert raised.value.outcome in sm.FINAL_OUTCOMES or outcome in (sm.RATE_LIMITED, sm.TRANSIENT)


def test_no_quota_at_wechat_is_43101(wechat):
    with pytest.raises(SubscribeMessageRejected) as raised:
        get_wechat().send_subscribe_message("o-nobody", PAYMENT, data())

    assert raised.value.outcome == sm.NO_QUOTA


def test_a_refused_access_token_is_refreshed_once_and_the_send_retried(wechat, monkeypatch):
    wechat.subscribe("o-1", sm.PAYMENT_RECEIVED)
    client = get_wechat()
    client.access_token()
    wechat.fail_next(40001)
    refreshes = []
    original = client.access_token
    monkeypatch.setattr(client, "access_token", lambda **kw: refreshes.append(1) or original(**kw))

    client.send_subscribe_message("o-1", PAYMENT, data())

    assert len(refreshes) == 2 and len(wechat.messages("o-1")) == 1


def test_a_token_refused_twice_is_raised_as_a_token_problem(wechat):
    wechat.subscribe("o-1", sm.PAYMENT_RECEIVED)
    wechat.fail_next(40001, 42001)

    with pytest.raises(SubscribeMessageRejected) as raised:
        get_wechat().send_subscribe_message("o-1", PAYMENT, data())

    assert raised.value.outcome == sm.TOKEN and not wechat.messages("o-1")


def test_no_answer_in_time_is_uncertain_not_unreachable(wechat, monkeypatch):
    get_wechat().access_token()
    session = http.get_session()

    def times_out(method, url, **kwargs):
        raise requests.ReadTimeout("read timed out")
    monkeypatch.setattr(session, "request", times_out)

    with pytest.raises(SubscribeSendUncertain):
        get_wechat().send_subscribe_message("o-1", PAYMENT, data())


def test_wechat_unreachable_is_upstream_unavailable_and_surely_not_sent(wechat, monkeypatch):
    get_wechat().access_token()
    session = http.get_session()

    def refused(method, url, **kwargs):
        raise requests.ConnectTimeout("connect timed out")
    monkeypatch.setattr(session, "request", refused)
    monkeypatch.setattr(http.time, "sleep", lambda s: None)

    with pytest.raises(UpstreamUnavailable) as raised:
        get_wechat().send_subscribe_message("o-1", PAYMENT, data())

    assert not isinstance(raised.value, SubscribeSendUncertain)
