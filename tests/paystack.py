"""The payment side of the world for tests and the order benchmark: the WeChat Pay and WeChat
sandboxes on loopback, the app's own API served over HTTP (so the sandbox's notifications reach
the real webhook route), the settings and secrets that point the app at them, and seed data.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import requests

from chalicelib.domain.stations.prices import GradePrice
from chalicelib.domain.stations.stations import Nozzle, Station
from chalicelib.services.identity.tokens import DRIVER, STAFF, Principal, issue_token
from chalicelib.store.stations import stations as station_store
from chalicelib.store.identity import users as user_store
from devstack.sandboxes import wechat as wechat_sandbox
from devstack.sandboxes import wechatpay as pay_sandbox
from devstack.servers import RunningServer, serve

PROJECT_DIR = Path(__file__).resolve().parent.parent
APPID, MCHID, APP_SECRET = "wx0rders0test0app", "1900000109", "orders-test-app-secret"


def secrets_for(keys: dict) -> dict:
    return {"wechat_app_secret": APP_SECRET,
            "wechatpay_merchant_private_key_pem": keys["merchant_private_key_pem"],
            "wechatpay_merchant_serial": keys["merchant_serial"],
            "wechatpay_apiv3_key": keys["apiv3_key"],
            "wechatpay_public_key_pem": keys["platform_public_key_pem"],
            "wechatpay_public_key_id": keys["public_key_id"],
            "wechatpay_platform_certificates": json.dumps(
                {keys["certificate_serial"]: keys["certificate_pem"]})}


def serve_api(host: str = "127.0.0.1") -> RunningServer:
    """The Chalice app over HTTP, one thread per request, as the local stack serves it."""
    from chalice.local import ChaliceRequestHandler

    from app import app
    from devstack.api import make_server

    ChaliceRequestHandler.log_message = lambda *args: None  # no access log on test output
    server = make_server(app, host, 0)
    thread = threading.Thread(target=server.serve_forever, name="api", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{server.server.server_port}", server=server,
                         thread=thread)


@dataclass
class PayStack:
    keys: dict
    config: pay_sandbox.WeChatPaySandboxConfig
    sandbox: pay_sandbox.WeChatPaySandbox
    pay_url: str
    wechat_url: str
    wechat_app: object
    api_url: str
    _servers: list = field(default_factory=list)

    def environment(self) -> dict:
        return {"WECHATPAY_API_URL": self.pay_url, "WECHATPAY_APPID": APPID,
                "WECHATPAY_MCHID": MCHID, "WECHAT_API_URL": self.wechat_url,
                "WECHAT_APPID": APPID, "PUBLIC_BASE_URL": self.api_url}

    def pay(self, prepay_id: str) -> requests.Response:
        return requests.post(f"{self.pay_url}/sandbox/pay", json={"prepay_id": prepay_id}, timeout=5)

    def deliveries(self, out_trade_no: str) -> list[dict]:
        return requests.get(f"{self.pay_url}/sandbox/notifications",
                            params={"out_trade_no": out_trade_no}, timeout=5).json()["items"]

    def notification(self, event_type: str, resource: dict, **signing) -> tuple[dict, bytes]:
        """A notification as WeChat Pay would send it: headers and body."""
        body = pay_sandbox.build_notification(self.config, event_type, resource)
        return {"Content-Type": "application/json",
                **pay_sandbox.sign_notification(self.config, body, **signing)}, body

    def reset_switches(self) -> None:
        """The sandbox as a fresh one behaves (its orders stay: tests use unique ids)."""
        config = self.config
        config.refund_outcome, config.merchant_balance_fen = "SUCCESS", None
        config.notify_time_scale, config.refund_settle_s = 0.001, 0.05

    def silence(self) -> None:
        """Stop every delivery still pending (retries of one test must not reach the next)."""
        with self.sandbox.lock:
            self.sandbox.suppressed.update(self.sandbox.orders)

    def stop(self) -> None:
        self.sandbox.scheduler.stop()
        for server in reversed(self._servers):
            server.stop()


def start_paystack(keys: dict | None = None, *, serve_app: bool = True) -> PayStack:
    """Start the sandboxes (and the API); the caller applies .environment() and secrets_for()."""
    keys = keys or pay_sandbox.generate_keys()
    config = pay_sandbox.WeChatPaySandboxConfig.from_keys(
        keys, appid=APPID, mchid=MCHID, notify_time_scale=0.001, refund_settle_s=0.05)
    pay_app = pay_sandbox.create_app(config)
    pay_server = serve(pay_app)
    config.base_url = pay_server.url
    wechat_app = wechat_sandbox.create_app(wechat_sandbox.WeChatSandboxConfig(
        appid=APPID, app_secret=APP_SECRET))
    wechat_server = serve(wechat_app)
    servers = [pay_server, wechat_server]
    api_url = "http://127.0.0.1:9"  # nothing listens: notifications fail until an API is served
    if serve_app:
        api = serve_api()
        servers.append(api)
        api_url = api.url
    return PayStack(keys=keys, config=config, sandbox=pay_app.extensions["wechatpay_sandbox"],
                    pay_url=pay_server.url, wechat_url=wechat_server.url, wechat_app=wechat_app,
                    api_url=api_url, _servers=servers)


def serialize_moto_dynamodb(monkeypatch) -> None:
    """Make moto's DynamoDB handle one call at a time.

    moto is not thread-safe: a TransactWriteItems deep-copies whole tables and restores them
    when any condition fails, wiping writes other threads made meanwhile. Tests that run the
    app in threads (webhook deliveries, concurrent requests) would see orders go back in time.
    DynamoDB Local (the integration tier) checks the real engine's concurrency instead.
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def one_at_a_time(self):
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)


# --- seed data ---------------------------------------------------------------------------------
def station(station_id: str | None = None, **overrides) -> Station:
    values = dict(
        id=station_id or f"ts-{uuid.uuid4().hex[:8]}", name="测试加油站", brand="中国石化",
        district="迎泽区", address="太原市迎泽区建设南路66号", lat=37.846218, lng=112.584537,
        open_time="00:00", close_time="24:00", payee="测试石油分公司",
        grades=(GradePrice("92", 718, 718), GradePrice("95", 768, 768),
                GradePrice("0", 695, 695)),
        nozzles=(Nozzle(1, "92"), Nozzle(2, "95"), Nozzle(3, "0")),
        stock_ml={"92": 20_000_000, "95": 5_000_000, "0": 0})
    values.update(overrides)
    return Station(**values)


def seed_station(**overrides) -> Station:
    made = station(**overrides)
    station_store.put_station(made)
    return made


def seed_driver(openid: str | None = None) -> user_store.User:
    user = user_store.User(id=f"u_{uuid.uuid4().hex}", openid=openid or f"o-{uuid.uuid4().hex}",
                           created_at=datetime.now(timezone.utc))
    assert user_store.create_user(user)
    return user


def driver_auth(user: user_store.User) -> dict:
    return {"Authorization": "Bearer " + issue_token(Principal(kind=DRIVER, subject=user.id), 3600)}


def staff_principal(role: str, *stations: str) -> Principal:
    return Principal(kind=STAFF, subject=f"s_{role}_{uuid.uuid4().hex[:6]}", role=role,
                     station_ids=frozenset(stations))


def staff_auth(principal: Principal) -> dict:
    return {"Authorization": "Bearer " + bearer_token(principal, 3600)}


def bearer_token(principal: Principal, ttl_s: int = 600) -> str:
    """A token for the principal; a staff principal gets an account with its role and stations
    first (staff tokens are checked against the account on every request)."""
    if principal.kind != STAFF:
        return issue_token(principal, ttl_s)
    from dataclasses import replace

    from chalicelib.store.identity import staff as staff_store

    account = staff_store.get_staff(principal.subject)
    if (account is None or account.disabled or account.role != principal.role
            or account.station_ids != principal.station_ids):
        staff_store.put_staff(staff_store.StaffAccount(
            username=principal.subject, staff_id=principal.subject, role=principal.role or "",
            station_ids=principal.station_ids, password_hash="!"))
        account = staff_store.get_staff(principal.subject)
    return issue_token(replace(principal, username=account.username,
                               token_version=account.token_version), ttl_s)


def wait_for(predicate, timeout_s: float = 30.0, interval_s: float = 0.02):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval_s)


def point_tests_at(servers: "PayStack", secrets_path, monkeypatch) -> "PayStack":
    """Point this test's settings and secrets at the shared payment servers, switches reset."""
    from tests.conftest import add_secrets, reset_caches

    serialize_moto_dynamodb(monkeypatch)  # no effect on DynamoDB Local
    servers.reset_switches()
    for key, value in servers.environment().items():
        monkeypatch.setenv(key, value)
    add_secrets(secrets_path, **secrets_for(servers.keys))
    reset_caches()
    return servers


def point_billing_tests_at(servers: "PayStack", secrets_path, monkeypatch) -> "PayStack":
    """point_tests_at, with the sandbox's records emptied (its bill of a day holds only this
    test's payments) and today's bill available at once, as tomorrow's would be."""
    point_tests_at(servers, secrets_path, monkeypatch)
    sandbox = servers.sandbox
    with sandbox.lock:
        sandbox.orders.clear()
        sandbox.by_prepay.clear()
        sandbox.refunds.clear()
        sandbox.suppressed.clear()
    monkeypatch.setattr(servers.config, "bills_available_early", True)
    return servers
