"""The WeChat sandbox's subscribeMessage.send: WeChat's quota rule, value rules and errcodes."""
from __future__ import annotations

import pytest

from chalicelib.domain.notifications import subscribe_messages as sm
from devstack.sandboxes import wechat as wechat_sandbox
from devstack.sandboxes.wechat_messages import templates_for
from tests.unit.notifications.fixtures import APP_SECRET, APPID, PAID_AT, TEMPLATE_IDS

PAYMENT = TEMPLATE_IDS[sm.PAYMENT_RECEIVED]


@pytest.fixture
def sandbox():
    app = wechat_sandbox.create_app(wechat_sandbox.WeChatSandboxConfig(
        appid=APPID, app_secret=APP_SECRET, subscribe_templates=templates_for(TEMPLATE_IDS)))
    return app.test_client()


@pytest.fixture
def token(sandbox):
    answer = sandbox.post("/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": APPID, "secret": APP_SECRET})
    return answer.json["access_token"]


def payment_body(openid="o-1", **data_overrides):
    body = sm.build_message(sm.PAYMENT_RECEIVED, openid, {
        "station": "太原迎泽加油站", "amount": 30000, "time": PAID_AT}, "pages/order/detail?id=1",
        template_id=PAYMENT)
    for key, value in data_overrides.items():
        if value is None:
            body["data"].pop(key)
        else:
            body["data"][key] = {"value": value}
    return body


def send(sandbox, token, body):
    return sandbox.post(f"/cgi-bin/message/subscribe/send?access_token={token}", json=body).json


def test_each_tap_on_allow_grants_one_message_and_a_send_spends_it(sandbox, token):
    sandbox.post("/sandbox/subscribe", json={"openid": "o-1", "template_ids": [PAYMENT]})

    first = send(sandbox, token, payment_body())
    second = send(sandbox, token, payment_body())

    assert first["errcode"] == 0 and isinstance(first["msgid"], int)
    assert second["errcode"] == 43101
    outbox = sandbox.get("/sandbox/messages?openid=o-1").json["items"]
    assert len(outbox) == 1
    assert outbox[0]["data"]["amount2"] == {"value": "¥300.00"}
    assert outbox[0]["page"] == "pages/order/detail?id=1" and outbox[0]["sent_at"]


def test_a_repeated_template_in_one_request_grants_one_quota(sandbox):
    answer = sandbox.post("/sandbox/subscribe",
                          json={"openid": "o-1", "template_ids": [PAYMENT, PAYMENT]}).json

    assert answer["quotas"] == {PAYMENT: 1}


def test_quota_is_per_openid_and_template(sandbox, token):
    sandbox.post("/sandbox/subscribe", json={"openid": "o-1", "template_ids": [PAYMENT]})

    assert send(sandbox, token, payment_body(openid="o-2"))["errcode"] == 43101
    assert sandbox.get("/sandbox/subscribe?openid=o-1").json["quotas"] == {PAYMENT: 1}


def test_subscribing_to_an_unknown_template_is_refused(sandbox):
    answer = sandbox.post("/sandbox/subscribe", json={"openid": "o-1", "template_ids": ["nope"]})

    assert answer.status_code == 400


@pytest.mark.parametrize("overrides, hint", [
    ({"thing1": "太" * 21}, "data.thing1.value invalid"),
    ({"amount2": "three yuan"}, "data.amount2.value invalid"),
    ({"amount2": "300.00元"}, "data.amount2.value invalid"),   # no currency symbol
    ({"time3": "tomorrow"}, "data.time3.value invalid"),
    ({"thing1": None}, "data.thing1.value is empty"),
    ({"phrase9": "已付款"}, "data.phrase9 is not a field"),
])
def test_a_value_breaking_its_rule_is_refused_with_47003_and_spends_nothing(
        sandbox, token, overrides, hint):
    sandbox.post("/sandbox/subscribe", json={"openid": "o-1", "template_ids": [PAYMENT]})

    answer = send(sandbox, token, payment_body(**overrides))

    assert answer["errcode"] == 47003 and hint in answer["errmsg"]
    assert sandbox.get("/sandbox/subscribe?openid=o-1").json["quotas"] == {PAYMENT: 1}


def test_wrong_token_openid_or_template_get_their_errcodes(sandbox, token):
    assert send(sandbox, "not-a-token", payment_body())["errcode"] == 40001
    assert send(sandbox, token, {**payment_body(), "touser": ""})["errcode"] == 40003
    assert send(sandbox, token, {**payment_body(), "template_id": "unknown"})["errcode"] == 40037


def test_fail_next_answers_the_queued_errcode_once(sandbox, token):
    sandbox.post("/sandbox/subscribe", json={"openid": "o-1", "template_ids": [PAYMENT]})
    sandbox.post("/sandbox/messages/fail-next", json={"errcode": 45009})

    assert send(sandbox, token, payment_body())["errcode"] == 45009
    assert send(sandbox, token, payment_body())["errcode"] == 0


def test_outbox_lists_every_openid_without_a_filter(sandbox, token):
    sandbox.post("/sandbox/subscribe", json={"openid": "o-1", "template_ids": [PAYMENT]})
    sandbox.post("/sandbox/subscribe", json={"openid": "o-2", "template_ids": [PAYMENT]})
    send(sandbox, token, payment_body(openid="o-1"))
    send(sandbox, token, payment_body(openid="o-2"))

    assert {m["openid"] for m in sandbox.get("/sandbox/messages").json["items"]} == {"o-1", "o-2"}
