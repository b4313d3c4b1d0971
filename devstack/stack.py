"""The local stack's parts, started in order and stopped in reverse.

Everything listens on loopback. Ports other than the API's are picked free at start and written
to .local/devstack.json, so two stacks (a developer's and the e2e tests') can run side by side.
Every server binds its own port: the API's socket is bound here first (api_port 0 picks a free
one) and handed to the API's process, the embedded AWS and the sandboxes bind port 0 and report
what they got, and DynamoDB Local is checked to be the process listening on its port.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import time
from pathlib import Path

import requests

from chalicelib.domain.notifications.subscribe_messages import MESSAGE_KINDS
from devstack import console, infra, jobs_control, seeding
from devstack.dynamodb_local import DynamoDBLocal
from devstack.invoicing import Invoicing
from devstack.servers import RunningServer, serve
from devstack.sandboxes import docs, wechat, wechatpay
from devstack.sandboxes.wechat_messages import templates_for

PROJECT_DIR = Path(__file__).resolve().parent.parent
STAGE = "local"
REGION = "cn-north-1"
WECHAT_APPID = "wx5a1d0b5e1c0ffee1"
WECHATPAY_MCHID = "1900000109"
# The subscribe-message template of each message kind (real ones come from the WeChat console).
WECHAT_TEMPLATE_IDS = {kind: f"sandbox-tmpl-{kind}" for kind in MESSAGE_KINDS}


class LocalStack:
    def __init__(self, state_dir: Path, *, api_port: int = 8000, host: str = "127.0.0.1",
                 notify_time_scale: float = 0.01, keep_data: bool = False,
                 log_level: str = "INFO"):
        self.state_dir = state_dir
        self.log_level = log_level
        self.keep_data = keep_data
        self._dynamodb: DynamoDBLocal | None = None
        self.host = host
        self.api_port = api_port
        self._api_socket: socket.socket | None = None
        self.notify_time_scale = notify_time_scale
        self._servers: dict[str, RunningServer] = {}
        self._env: dict[str, str] = {}
        self._resources: dict[str, dict] = {}
        self._on_stop: list = []
        self.invoicing = Invoicing(host)

    # -- start -------------------------------------------------------------------------------
    def start(self) -> dict:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # The API's port first: every URL handed out below names it, and a port in use (another
        # stack on :8000) stops the start here, before anything else runs.
        try:
            self._api_socket = socket.create_server((self.host, self.api_port), backlog=256)
        except OSError as error:
            raise RuntimeError(f"the API's port {self.api_port} is in use: stop what listens "
                               "there, or pick another with --api-port") from error
        self.api_port = self._api_socket.getsockname()[1]
        # The JVM takes seconds to start: launch it first and wait for it only when its address is due.
        self._dynamodb = DynamoDBLocal(data_dir=self.data_dir, host=self.host).launch()
        aws_url = self._start_moto()
        app_secret = secrets.token_hex(16)
        self._servers["wechat"] = serve(wechat.create_app(
            wechat.WeChatSandboxConfig(appid=WECHAT_APPID, app_secret=app_secret,
                                       high_risk_openids={"sandbox-high-risk"},
                                       subscribe_templates=templates_for(WECHAT_TEMPLATE_IDS))),
            self.host)
        pay_keys = wechatpay.generate_keys()
        pay_app = wechatpay.create_app(wechatpay.WeChatPaySandboxConfig.from_keys(
            pay_keys, appid=WECHAT_APPID, mchid=WECHATPAY_MCHID,
            notify_time_scale=self.notify_time_scale, refund_settle_s=1.0))
        self._on_stop.append(pay_app.extensions["wechatpay_sandbox"].scheduler.stop)
        self._servers["wechatpay"] = serve(pay_app, self.host)
        platform_key_path = self.state_dir / "wechatpay_platform_private_key.pem"
        platform_key_path.write_text(pay_keys["platform_private_key_pem"])
        platform_key_path.chmod(0o600)
        self.invoicing.start()
        self._on_stop.append(self.invoicing.stop)
        secrets_doc = {
            **self.invoicing.secrets(),
            "token_signing_key": secrets.token_urlsafe(48),
            "wechat_app_secret": app_secret,
            "wechatpay_merchant_private_key_pem": pay_keys["merchant_private_key_pem"],
            "wechatpay_merchant_serial": pay_keys["merchant_serial"],
            "wechatpay_apiv3_key": pay_keys["apiv3_key"],
            "wechatpay_public_key_pem": pay_keys["platform_public_key_pem"],
            "wechatpay_public_key_id": pay_keys["public_key_id"],
            "wechatpay_platform_certificates": json.dumps(
                {pay_keys["certificate_serial"]: pay_keys["certificate_pem"]}),
        }
        secrets_path = self.state_dir / "secrets.json"
        _write_private(secrets_path, secrets_doc)
        # Before the API's environment: the API lets this origin call it from the browser.
        self._servers["docs"] = serve(docs.create_app(self.api_url), self.host)
        self._servers["console"] = serve(console.create_app(self.api_url), self.host)

        # Its port is final once it answers (it moves if another process took the one picked).
        self._dynamodb.wait_ready()
        self._env = {
            "STAGE": STAGE,
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_ENDPOINT_URL": aws_url,
            # Tables live on DynamoDB Local; the store and any plain boto3 client both go there.
            "DYNAMODB_ENDPOINT_URL": self._dynamodb.endpoint_url,
            "AWS_ENDPOINT_URL_DYNAMODB": self._dynamodb.endpoint_url,
            "SECRETS_FILE": str(secrets_path),
            "PUBLIC_BASE_URL": self.api_url,
            "DOCS_ORIGIN": self._servers["docs"].url,
            "CONSOLE_ORIGINS": self._servers["console"].url,
            "WECHAT_API_URL": self._servers["wechat"].url,
            "WECHAT_APPID": WECHAT_APPID,
            "WECHAT_TEMPLATE_IDS": json.dumps(WECHAT_TEMPLATE_IDS),
            "WECHAT_MINIPROGRAM_STATE": "developer",
            "WECHATPAY_API_URL": self._servers["wechatpay"].url,
            "WECHATPAY_APPID": WECHAT_APPID,
            "WECHATPAY_MCHID": WECHATPAY_MCHID,
            **self.invoicing.environment(),
            "POWERTOOLS_SERVICE_NAME": "fuel",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", self.log_level),
            # No X-Ray daemon locally: traces are for the deployed stages (chalicelib/tracing.py).
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        os.environ.update(self._env)
        fresh = self._create_resources(aws_url)
        self._env.update(self.invoicing.resource_environment(self._resources))
        self._env["PUMP_CODE_BUCKET"] = self._resources["PumpCodeBucket"]["Ref"]
        self._env["LEDGER_KEY_ID"] = self._resources["LedgerKey"]["Arn"]
        os.environ.update(self._env)
        # Kept data keeps its stations, prices and coupons; only staff passwords are new (the
        # stack stores their hashes only, and prints them at every start).
        staff = seeding.seed_all() if fresh else seeding.seed_staff()
        # Fires a schedule on request, as if at a given time; runs the handler in this process,
        # whose environment is now the app's (the worker's is the same).
        self._servers["jobs"] = serve(jobs_control.create_app(REGION), self.host)
        info = {
            "api_url": self.api_url,
            "aws_endpoint_url": aws_url,
            "dynamodb_endpoint_url": self._dynamodb.endpoint_url,
            "dynamodb_data": str(self.data_dir) if self.data_dir else "in memory",
            "aws_region": REGION,
            "stage": STAGE,
            "docs_url": self._servers["docs"].url,
            "console_url": self._servers["console"].url,
            "jobs_url": self._servers["jobs"].url,
            "wechat_url": self._servers["wechat"].url,
            "wechat": {"appid": WECHAT_APPID, "template_ids": WECHAT_TEMPLATE_IDS},
            "wechatpay_url": self._servers["wechatpay"].url,
            **self.invoicing.info(),
            "wechatpay": {"appid": WECHAT_APPID, "mchid": WECHATPAY_MCHID,
                          "apiv3_key": pay_keys["apiv3_key"],
                          "public_key_id": pay_keys["public_key_id"],
                          "platform_private_key_path": str(platform_key_path),
                          "merchant_serial": pay_keys["merchant_serial"]},
            "staff": staff,
            "environment": self._env,
        }
        _write_private(self.state_dir / "devstack.json", info)
        return info

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    def environment(self) -> dict[str, str]:
        return dict(self._env)

    def hand_over_api_socket(self) -> int:
        """The listening socket's descriptor, for the API's process to inherit (pass_fds); call
        release_api_socket() once that process started, so only it holds the port."""
        return self._api_socket.fileno()

    def release_api_socket(self) -> None:
        if self._api_socket is not None:
            self._api_socket.close()
            self._api_socket = None

    def _start_moto(self) -> str:
        """moto's server app, kept-alive like the AWS endpoints (devstack/servers.py)."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from devstack import moto_speedups

        moto_speedups.apply()   # the same answers, without rescanning a queue per message
        self._servers["moto"] = serve(DomainDispatcherApplication(create_backend_app), self.host,
                                      keep_alive=True)
        return self._servers["moto"].url

    @property
    def data_dir(self) -> Path | None:
        """Where DynamoDB Local keeps its tables between runs (None: in memory)."""
        return self.state_dir / "dynamodb" if self.keep_data else None

    def _create_resources(self, aws_url: str) -> bool:
        """Queues and buckets on moto, tables on DynamoDB Local; True if the tables are new."""
        import boto3

        session = boto3.session.Session(region_name=REGION)
        self._resources = infra.create_queues_and_buckets(session, STAGE, REGION, aws_url)
        self._resources.update(infra.create_keys(session, STAGE, REGION, aws_url))
        if self.keep_data:  # kept ledgers stay verifiable: their key outlives the moto server
            keep_key_material(self._resources["LedgerKey"]["Ref"], REGION,
                              self.state_dir / "ledger_key_material.bin")
        return bool(infra.create_tables(self._dynamodb.client(), STAGE, REGION))

    def wait_for_api(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.api_url}/v1/me", timeout=5)  # any answer means it is up
                return
            except (requests.ConnectionError, requests.Timeout):  # a loaded machine: slow start
                time.sleep(0.2)
        raise RuntimeError(f"the API did not start on {self.api_url}")

    def print_summary(self, info: dict) -> None:
        lines = [
            "",
            "fuel local stack is up",
            f"  API            {info['api_url']}",
            f"  API reference  {info['docs_url']}",
            f"  console        {info['console_url']}  (station staff: logins below)",
            f"  AWS (moto)     {info['aws_endpoint_url']}  (queues, bucket, secrets)",
            f"  DynamoDB Local {info['dynamodb_endpoint_url']}  (data {self._data_text()})",
            f"  WeChat         {info['wechat_url']}",
            f"  WeChat Pay     {info['wechatpay_url']}",
            f"  invoice issuer {info['invoice_url']}",
            f"  mail outbox    {info['mail_outbox_url']}?to=ADDRESS",
            f"  schedules      {info['jobs_url']}/schedules  (POST /schedules/NAME/run "
            '{"time": "..."} fires one as if then)',
            f"  settings       {self.state_dir / 'devstack.json'}",
            "  staff logins:",
        ]
        lines += [f"    {s['username']:<14} {s['password']}  {s['role']:<9} "
                  f"{','.join(s['station_ids']) or 'all stations'}" for s in info["staff"]]
        lines.append("Ctrl-C stops everything.")
        print("\n".join(lines), flush=True)

    # -- stop --------------------------------------------------------------------------------
    def stop(self) -> None:
        self.release_api_socket()
        for stop_part in reversed(self._on_stop):
            stop_part()
        self._on_stop.clear()
        for server in reversed(list(self._servers.values())):
            server.stop()
        self._servers.clear()
        if self._dynamodb is not None:
            self._dynamodb.stop()
            self._dynamodb = None

    def _data_text(self) -> str:
        if self.data_dir is None:
            return "in memory, gone at Ctrl-C; bin/dev --keep keeps it"
        return f"kept in {self.data_dir}"


def keep_key_material(key_id: str, region: str, path: Path) -> None:
    """Give the moto server's new key (it runs in this process) the material kept in `path`, or
    keep its material there: moto cannot import HMAC key material through the API."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.kms.models import kms_backends

    key = kms_backends[DEFAULT_ACCOUNT_ID][region].keys[key_id]
    if path.exists():
        key.key_material = path.read_bytes()
    else:
        path.write_bytes(key.key_material)
        path.chmod(0o600)


def _write_private(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
