"""What the invoice tests share: the issuer sandbox and the SMTP sink on loopback, moto with the
invoice queue and bucket, a seeded station whose payee issues invoices, fuelled orders, a
controllable clock, and SQS events built by hand (each with its own or a repeated messageId).

Import the fixtures by name into a test module: `from tests.unit.invoice_fixtures import *`.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib.domain.invoices.title import COMPANY
from devstack import seed, seeding
from devstack.invoicing import sellers_setting
from devstack.sandboxes import invoice_issuer as issuer_sandbox
from devstack.sandboxes import mail as mail_sandbox
from devstack.servers import serve
from tests.conftest import add_secrets, reset_caches
from tests.moto_aws import aws_session, queues_and_buckets

REGION = "cn-north-1"
APP_KEY, APP_SECRET = "unit-invoice-app", "unit-invoice-secret"
STATION = seed.load_stations()[0]
COMPANY_TITLE = {"type": COMPANY, "name": "山西示例物流有限公司", "tax_id": "91110000600037341L"}
PERSONAL_TITLE = {"type": "personal", "name": "张三"}
FILE_LINK_KEY = "unit-file-link-signing-key-of-at-least-32-bytes"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:123456789012:fuel-local-invoices"


@pytest.fixture(scope="module")
def issuer_server():
    running = serve(issuer_sandbox.create_app(issuer_sandbox.InvoiceIssuerSandboxConfig(
        app_key=APP_KEY, app_secret=APP_SECRET, delay_s=0, seed=11)))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def smtp_sink():
    sink = mail_sandbox.SmtpSink().start()
    yield sink
    sink.stop()


def configure_issuer(url: str, **values) -> None:
    settings = {"delay_s": 0, "fail_rate_temporary": 0, "fail_rate_permanent": 0,
                "fail_rate_transient": 0, **values}
    requests.post(f"{url}/sandbox/config", json=settings, timeout=5).raise_for_status()


@pytest.fixture
def invoicing(aws, issuer_server, smtp_sink, base_environment, monkeypatch):
    """Everything the invoice use cases and jobs reach, wired through settings."""
    configure_issuer(issuer_server.url)
    smtp_sink.outbox.items.clear()
    smtp_sink.outbox.fail_next = 0
    session = aws_session()
    resources = queues_and_buckets()
    add_secrets(base_environment, invoice_app_key=APP_KEY, invoice_app_secret=APP_SECRET,
                file_link_signing_key=FILE_LINK_KEY)
    env = {"INVOICE_API_URL": issuer_server.url, "SMTP_HOST": smtp_sink.host,
           "SMTP_PORT": str(smtp_sink.port), "SMTP_TLS": "none",
           "INVOICE_QUEUE_URL": resources["InvoiceQueue"]["Ref"],
           "INVOICE_BUCKET": resources["InvoiceBucket"]["Ref"],
           "INVOICE_SELLER_TAX_IDS": sellers_setting([STATION["payee"]])}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    from chalicelib.store.stations.stations import put_station
    put_station(seeding.station_from_seed(STATION))
    yield Invoicing(issuer_server.url, smtp_sink.outbox, resources, session)


class Invoicing:
    def __init__(self, issuer_url, outbox, resources, session):
        self.issuer_url, self.outbox, self.resources = issuer_url, outbox, resources
        self.sqs = session.client("sqs")
        self.s3 = session.client("s3")

    def issuer(self, **values) -> None:
        configure_issuer(self.issuer_url, **values)

    def queued(self) -> list[dict]:
        """Take every message waiting on the invoice queue."""
        url = self.resources["InvoiceQueue"]["Ref"]
        taken = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                             VisibilityTimeout=0).get("Messages", [])
            if not batch:
                return taken
            for message in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken += [json.loads(m["Body"]) for m in batch]

    def mails(self, to: str) -> list[dict]:
        return self.outbox.find(to)

    def pdf(self, key: str) -> bytes:
        bucket = self.resources["InvoiceBucket"]["Ref"]
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def fuelled_order(user_id: str, *, grade: str = "92", liters_ml: int = 30120,
                  paid_fen: int = 21626, refunded_fen: int = 0,
                  refund_reserved_fen: int | None = None,
                  status: str = "FUELLED", pay_method: str = "wechatpay",
                  station_id: str | None = None) -> str:
    """Store an order as the orders use cases leave it once paid and fuelled; returns its id."""
    from chalicelib.domain.orders.orders import Order
    from chalicelib.store.orders.orders import to_model

    now = datetime.now(timezone.utc)
    order_id = f"o{uuid.uuid4().hex[:20]}"
    to_model(Order(
        id=order_id, user_id=user_id, openid=f"o-{user_id}", station_id=station_id or STATION["id"],
        station_name=STATION["name"], grade=grade, nozzle_no=1, price_fen=718,
        list_price_fen=718, pump_amount_fen=paid_fen, discount_fen=0, pay_amount_fen=paid_fen,
        liters_ml=liters_ml, pay_method=pay_method, description="fuel", request_hash="h",
        created_at=now, expires_at=now + timedelta(minutes=15), status=status,
        transaction_id="42000000" + uuid.uuid4().hex[:20], paid_at=now,
        fuelled_at=None if status == "PAID" else now,
        actual_amount_fen=None if status == "PAID" else paid_fen - refunded_fen,
        refunded_fen=refunded_fen,
        refund_reserved_fen=refunded_fen if refund_reserved_fen is None else refund_reserved_fen,
        version=2)).save()
    return order_id


def new_user() -> str:
    return f"u_{uuid.uuid4().hex}"


class Clock:
    """The clock (domain times.now), moved by hand."""

    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    from chalicelib.domain import times

    fake = Clock()
    monkeypatch.setattr(times, "now", fake)
    return fake


def sqs_event(*records: tuple[str, str | dict]) -> dict:
    """An SQS event of (messageId, invoice_id) records, as Lambda hands it to the worker; a
    dict in place of the invoice_id is the whole message body (as queued by the use case)."""
    return {"Records": [{
        "messageId": message_id, "receiptHandle": f"rh-{uuid.uuid4().hex}",
        "body": json.dumps(invoice_id if isinstance(invoice_id, dict)
                           else {"invoice_id": invoice_id}),
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION} for message_id, invoice_id in records]}


def schedule_event() -> dict:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2026-11-26T00:00:00Z",
            "region": REGION, "resources": [], "detail": {}}
