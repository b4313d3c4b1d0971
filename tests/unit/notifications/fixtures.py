"""Subscribe-message test helpers, shared by the unit and integration tiers: the template ids,
the WeChat sandbox with those templates on loopback, a seeded driver, and events."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import boto3
import requests

from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.store.identity import users as user_store
from devstack.sandboxes import wechat as wechat_sandbox
from devstack.sandboxes.wechat_messages import templates_for
from devstack.servers import serve

APPID, APP_SECRET = "wx_notify_test_app", "test-app-secret"
TEMPLATE_IDS = {kind: f"tmpl-{kind.replace('_', '-')}" for kind in sm.MESSAGE_KINDS}
PAID_AT = datetime(2026, 11, 26, 6, 30, tzinfo=timezone.utc)


def point_at_templates(monkeypatch) -> None:
    from tests.conftest import reset_caches

    monkeypatch.setenv("WECHAT_TEMPLATE_IDS", json.dumps(TEMPLATE_IDS))
    reset_caches()


class WeChat:
    """The WeChat sandbox as a test sees it: the driver's taps on "allow", and the outbox."""

    def __init__(self, running, app):
        self.running, self.app, self.url = running, app, running.url

    def subscribe(self, openid: str, *kinds: str) -> dict:
        answer = requests.post(f"{self.url}/sandbox/subscribe", timeout=5, json={
            "openid": openid, "template_ids": [TEMPLATE_IDS[k] for k in kinds]})
        answer.raise_for_status()
        return answer.json()["quotas"]

    def quotas(self, openid: str) -> dict:
        return requests.get(f"{self.url}/sandbox/subscribe", params={"openid": openid},
                            timeout=5).json()["quotas"]

    def messages(self, openid: str | None = None) -> list[dict]:
        params = {"openid": openid} if openid else {}
        answer = requests.get(f"{self.url}/sandbox/messages", params=params, timeout=5)
        return answer.json()["items"]

    def fail_next(self, *errcodes: int) -> None:
        for errcode in errcodes:
            requests.post(f"{self.url}/sandbox/messages/fail-next", json={"errcode": errcode},
                          timeout=5).raise_for_status()

    def point(self, monkeypatch) -> "WeChat":
        """This test's settings point the app at the sandbox, whose state starts empty."""
        from tests.conftest import reset_caches

        state = self.app.config["subscribe_state"]
        with self.app.config["sandbox_state"].lock:
            for part in state.values():
                part.clear()
        monkeypatch.setenv("WECHAT_API_URL", self.url)
        monkeypatch.setenv("WECHAT_APPID", APPID)
        reset_caches()
        return self

    def stop(self) -> None:
        self.running.stop()


def start_wechat() -> WeChat:
    """The sandbox with our templates on a loopback port (share it: stopping one takes 0.5 s)."""
    app = wechat_sandbox.create_app(wechat_sandbox.WeChatSandboxConfig(
        appid=APPID, app_secret=APP_SECRET, subscribe_templates=templates_for(TEMPLATE_IDS)))
    return WeChat(serve(app), app)


def new_driver() -> user_store.User:
    user = user_store.User(id=f"u_{uuid.uuid4().hex}", openid=f"o-{uuid.uuid4().hex}",
                           created_at=datetime.now(timezone.utc))
    assert user_store.create_user(user)
    return user


def payment_event(user_id: str, *, order_id: str | None = None,
                  station: str = "太原迎泽加油站", amount: int = 30000) -> dict:
    order_id = order_id or uuid.uuid4().hex
    return {"kind": sm.PAYMENT_RECEIVED, "user_id": user_id, "event_id": f"paid:{order_id}",
            "data": {"station": station, "amount": amount, "time": PAID_AT},
            "page": f"pages/order/detail?id={order_id}"}


def drain(queue_url: str) -> list[str]:
    """Every message body on the queue (received and deleted)."""
    sqs = boto3.client("sqs", region_name="cn-north-1")
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url,
                                       MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
