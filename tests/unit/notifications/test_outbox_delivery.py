"""SQS fails right after an order is paid: the driver's subscribe message waits in the outbox,
and is sent once when SQS is back, however often the sweeper runs or SQS delivers it."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from pynamodb.transactions import TransactWrite

from app import notification_worker, outbox_sweeper
from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.metrics import Metric
from chalicelib.domain.times import now
from chalicelib.providers import queues
from chalicelib.services.notifications import events as notifications, subscriptions
from chalicelib.services.outbox import delivery as outbox
from chalicelib.store.base import get_connection
from chalicelib.store.outbox import messages as outbox_store
from devstack.worker import LambdaContext
from tests import paystack
from tests.conftest import add_secrets, reset_caches
from tests.emf import metric_values
from tests.order_flows import create_order, prepay_id, wait_status
from tests.unit.invoice_fixtures import schedule_event
from tests.unit.notifications.fixtures import APP_SECRET, TEMPLATE_IDS, drain, payment_event
from tests.unit.sqs_outage import SqsOutage
from tests.unit.wallet.wallet_flows import paid_topup

ARN = "arn:aws:sqs:cn-north-1:123456789012:fuel-local-notifications"


@pytest.fixture
def pay(aws, base_environment, monkeypatch, pay_servers, templates, message_sandbox):
    """The payment servers, and WeChat's subscribe messages in the sandbox that knows our
    templates (pointed at last: the payment servers bring a WeChat of their own)."""
    paystack.point_tests_at(pay_servers, base_environment, monkeypatch)
    add_secrets(base_environment, wechat_app_secret=APP_SECRET)
    yield pay_servers, message_sandbox.point(monkeypatch)
    pay_servers.silence()


@pytest.fixture
def station(aws):
    return paystack.seed_station()


@pytest.fixture
def no_grace(monkeypatch):
    """The sweeper takes every pending message, however young (the grace is for production,
    where the sender right after the commit is usually still at work)."""
    monkeypatch.setenv("OUTBOX_GRACE_S", "0")
    reset_caches()


def sweep() -> dict:
    return outbox_sweeper(schedule_event(), LambdaContext("outbox_sweeper"))


def pending() -> list:
    return outbox_store.pending_page(now(), 100)[0]


def notify(*bodies: str) -> list[str]:
    """The notifier Lambda on these bodies, as SQS hands them over; the ids it fails."""
    answer = notification_worker({"Records": [{
        "messageId": f"m-{uuid.uuid4().hex}", "receiptHandle": f"rh-{uuid.uuid4().hex}",
        "body": body, "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": ARN,
        "awsRegion": "cn-north-1"} for body in bodies]}, LambdaContext("notification_worker"))
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def test_sqs_down_right_after_a_payment_delays_the_drivers_message_and_sends_it_once(
        pay, station, driver, client, queue, monkeypatch, no_grace):
    pay, wechat = pay
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED, sm.PAYMENT_RECEIVED)
    subscriptions.accept(driver.id, [TEMPLATE_IDS[sm.PAYMENT_RECEIVED]] * 2)
    created = create_order(client, driver, station, amount_fen=30000)
    assert created.status_code == 201, created.json_body
    outage = SqsOutage(monkeypatch)

    assert pay.pay(prepay_id(created)).status_code == 200
    order = wait_status(client, driver, created.json_body["order"]["id"], "PAID")

    # The payment stands, nothing reached the queue, and the message waits in the outbox.
    (waiting,) = pending()
    assert json.loads(waiting.body)["event_id"] == f"paid:{order['id']}"
    assert sweep() == {"pending": 1, "sent": 0}  # SQS still down: the sweeper keeps it
    outage.recover()
    assert drain(queue) == []

    assert sweep() == {"pending": 1, "sent": 1}
    (body,) = drain(queue)
    assert notify(body) == []

    (message,) = wechat.messages(driver.openid)
    assert message["template_id"] == TEMPLATE_IDS[sm.PAYMENT_RECEIVED]
    assert pending() == []
    assert sweep() == {"pending": 0, "sent": 0} and drain(queue) == []
    assert notify(body) == []  # SQS delivers at least once: a repeat sends nothing more
    assert len(wechat.messages(driver.openid)) == 1


def test_a_wallet_order_paid_as_created_while_sqs_is_down_is_told_when_it_is_back(
        pay, station, driver, client, queue, monkeypatch, no_grace):
    pay, _ = pay
    paid_topup(client, pay, driver, 50000)
    outage = SqsOutage(monkeypatch)

    created = create_order(client, driver, station, amount_fen=20000, pay_method="wallet")

    assert created.status_code == 201, created.json_body
    order = created.json_body["order"]
    assert order["status"] == "PAID"
    (waiting,) = pending()
    assert json.loads(waiting.body)["event_id"] == f"paid:{order['id']}"
    outage.recover()
    assert sweep() == {"pending": 1, "sent": 1}
    assert [json.loads(b)["event_id"] for b in drain(queue)] == [f"paid:{order['id']}"]


def owed(*events: dict) -> list:
    """Notification events written to the outbox as a change would (in a transaction)."""
    messages = notifications.outbox_messages(list(events), now())
    with TransactWrite(connection=get_connection()) as tx:
        outbox.staged(messages)(tx)
    return messages


def test_the_sweeper_leaves_a_young_message_to_the_sender_after_its_commit(queue):
    (message,) = owed(payment_event("u-1"))

    assert outbox.sweep(now=message.created_at + timedelta(seconds=29)) == {"pending": 0, "sent": 0}
    assert drain(queue) == []
    assert outbox.sweep(now=message.created_at + timedelta(seconds=31)) == {"pending": 1, "sent": 1}
    (body,) = drain(queue)
    assert json.loads(body)["event_id"] == json.loads(message.body)["event_id"]


def test_an_entry_sqs_refuses_stays_owed_and_the_others_go(queue, monkeypatch, no_grace):
    messages = owed(*(payment_event("u-1", order_id=f"o{i}") for i in range(3)))
    real = queues.send_batch

    def refusing_o0(url, bodies):  # SQS refuses the first order's event as our fault
        refused = [i for i, body in enumerate(bodies) if '"paid:o0"' in body]
        real(url, [body for i, body in enumerate(bodies) if i not in refused])
        return [(i, "InvalidMessageContents", True) for i in refused]
    monkeypatch.setattr(queues, "send_batch", refusing_o0)

    assert outbox.sweep() == {"pending": 3, "sent": 2}

    (left,) = pending()
    assert left.id == messages[0].id and len(drain(queue)) == 2


def test_each_sweep_that_finds_owed_messages_counts_those_it_left_for_the_alarm(
        queue, monkeypatch, no_grace, capsys):
    owed(*(payment_event("u-1", order_id=f"o{i}") for i in range(2)))
    outage = SqsOutage(monkeypatch)
    capsys.readouterr()

    assert outbox.sweep() == {"pending": 2, "sent": 0}
    assert metric_values(capsys.readouterr().out, str(Metric.OUTBOX_LEFT)) == [2]
    outage.recover()
    assert outbox.sweep() == {"pending": 2, "sent": 2}
    assert metric_values(capsys.readouterr().out, str(Metric.OUTBOX_LEFT)) == [0]
    assert outbox.sweep() == {"pending": 0, "sent": 0}  # nothing owed: nothing written
    assert metric_values(capsys.readouterr().out, str(Metric.OUTBOX_LEFT)) == []


def test_a_malformed_event_is_logged_left_out_and_never_fails_the_change(aws, caplog):
    good = payment_event("u-1")
    bad = {**payment_event("u-1", order_id="o-bad"), "data": {"station": "x"}}

    written = owed(bad, None, good)

    assert [json.loads(m.body)["event_id"] for m in written] == [good["event_id"]]
    logged = [(r.levelname, r.getMessage(), getattr(r, "event_id", None))
              for r in caplog.records if r.name == "fuel"]
    assert logged == [("ERROR", "notification event not written", "paid:o-bad")]
