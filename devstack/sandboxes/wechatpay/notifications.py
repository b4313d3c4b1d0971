"""Notifications as WeChat Pay sends them: the sealed, signed envelope (usable by anyone acting as
WeChat Pay, such as a test), where they may go, and their delivery from a background thread,
retried on the real schedule until the merchant answers 200 or 204."""
from __future__ import annotations

import heapq
import itertools
import json
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import urlsplit

import requests

from chalicelib.domain.times import SHANGHAI
from devstack.sandboxes.wechatpay.config import WeChatPaySandboxConfig, check_param, dumps
from devstack.sandboxes.wechatpay.keys import AUTH_SCHEMA, aead_encrypt, random_text, rsa_sign

# Delays before each retry of a failed notification (15 retries over about 24 hours).
RETRY_DELAYS_S = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800,
                  21600, 21600)
EVENTS = {"TRANSACTION.SUCCESS": ("支付成功", "transaction"), "REFUND.SUCCESS": ("退款成功", "refund"),
          "REFUND.ABNORMAL": ("退款异常", "refund"), "REFUND.CLOSED": ("退款关闭", "refund")}


def build_notification(config: WeChatPaySandboxConfig, event_type: str, resource: dict, *,
                       notification_id: str | None = None, create_time: str | None = None) -> bytes:
    """The real envelope: the resource JSON sealed with AEAD_AES_256_GCM under the APIv3 key."""
    summary, original_type = EVENTS[event_type]
    nonce = random_text(string.ascii_letters + string.digits, 12)
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    envelope = {
        "id": notification_id or f"EV-{now:%Y%m%d%H%M%S}{random_text(string.digits, 7)}",
        "create_time": create_time or now.isoformat(), "resource_type": "encrypt-resource",
        "event_type": event_type, "summary": summary,
        "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": aead_encrypt(config.apiv3_key, nonce, original_type,
                                                dumps(resource).encode()),
                     "associated_data": original_type, "nonce": nonce}}
    return dumps(envelope).encode()


def sign_notification(config: WeChatPaySandboxConfig, body: bytes, *, timestamp: int | None = None,
                      nonce: str | None = None) -> dict:
    """Wechatpay-* headers for a body; a delivery re-signs at each attempt, as WeChat Pay does."""
    return signature_headers(config, body.decode(), timestamp, nonce)


def signature_headers(config, body: str, timestamp: int | None = None,
                      nonce: str | None = None) -> dict:
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    key, serial = config.platform_private_key_pem, config.public_key_id
    if config.sign_with == "certificate" and config.certificate_serial:
        key, serial = config.certificate_private_key_pem, config.certificate_serial
    return {"Wechatpay-Timestamp": timestamp_text, "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(f"{timestamp_text}\n{nonce}\n{body}\n", key),
            "Wechatpay-Serial": serial, "Wechatpay-Signature-Type": AUTH_SCHEMA,
            "Request-ID": str(uuid.uuid4())}


def check_notify_url(config: WeChatPaySandboxConfig, url) -> None:
    """Where a notification may go: a URL of at most 256 characters without parameters, https
    (http only on the loopback hosts of `http_notify_hosts`, a choice of this sandbox)."""
    check_param(isinstance(url, str) and 1 <= len(url) <= 256, "notify_url 长度必须在1到256之间")
    parts = urlsplit(url)
    check_param(not parts.query and not parts.fragment and bool(parts.hostname), "notify_url 不能携带参数")
    check_param(parts.scheme == "https" or (parts.scheme == "http"
                                            and parts.hostname in config.http_notify_hosts),
                "notify_url 必须是 https 地址")


@dataclass
class Delivery:
    id: str
    event_type: str
    out_trade_no: str
    out_refund_no: str | None
    notify_url: str
    body: bytes
    created_at: str
    suppressed: bool = False
    delivered: bool = False
    attempts: list = field(default_factory=list)
    next_attempt_at: str | None = None

    def view(self) -> dict:
        return {key: value for key, value in vars(self).items() if key != "body"}


class Scheduler:
    """One daemon thread that starts each due job in its own short-lived thread."""

    def __init__(self):
        self._jobs: list = []
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def after(self, delay_s: float, job: Callable[[], None]) -> None:
        with self._cv:
            if self._stopped:
                return
            heapq.heappush(self._jobs, (time.monotonic() + max(0.0, delay_s), next(self._seq), job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wechatpay-sandbox", daemon=True)
                self._thread.start()
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._jobs.clear()
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._jobs or self._jobs[0][0] > time.monotonic()):
                    self._cv.wait(self._jobs[0][0] - time.monotonic() if self._jobs else None)
                if self._stopped:
                    return
                job = heapq.heappop(self._jobs)[2]
            threading.Thread(target=job, daemon=True).start()


class Notifying:
    """What the sandbox does to notify (mixed into WeChatPaySandbox, whose lock, config,
    deliveries, suppressed and scheduler it uses)."""

    def notify(self, event_type: str, resource: dict, out_trade_no: str,
               out_refund_no: str | None, notify_url: str) -> None:
        body = build_notification(self.config, event_type, resource)
        delivery = Delivery(json.loads(body)["id"], event_type, out_trade_no, out_refund_no,
                            notify_url, body, datetime.now(SHANGHAI).isoformat())
        with self.lock:
            self.deliveries.append(delivery)
        self.scheduler.after(0, lambda: self._attempt(delivery, 0))

    def _attempt(self, delivery: Delivery, retries_done: int) -> None:
        with self.lock:
            if delivery.out_trade_no in self.suppressed:
                delivery.suppressed, delivery.next_attempt_at = True, None
                return
        record = {"at": datetime.now(SHANGHAI).isoformat(), "status": None, "error": None, "answer": None}
        try:
            answer = requests.post(delivery.notify_url, data=delivery.body,
                                   headers={"Content-Type": "application/json",
                                            **sign_notification(self.config, delivery.body)},
                                   timeout=self.config.notify_timeout_s)
            record.update(status=answer.status_code, answer=answer.text[:200])
        except requests.RequestException as err:
            record["error"] = repr(err)
        with self.lock:
            delivery.attempts.append(record)
            delivery.delivered = record["status"] in (200, 204)
            if delivery.delivered or retries_done >= len(RETRY_DELAYS_S):
                delivery.next_attempt_at = None
                return
            delay = RETRY_DELAYS_S[retries_done] * self.config.notify_time_scale
            delivery.next_attempt_at = (datetime.now(SHANGHAI) + timedelta(seconds=delay)).isoformat()
        self.scheduler.after(delay, lambda: self._attempt(delivery, retries_done + 1))
