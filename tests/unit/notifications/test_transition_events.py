"""The order, refund and invoice transitions put one event each on the notifier queue, keyed by
the transition, and a transition applied again puts none with another key."""
from __future__ import annotations

import json

import pytest

from app import invoice_worker
from chalicelib.services.invoices import requests as invoices
from chalicelib.store.invoices import invoices as invoice_store
from devstack.worker import LambdaContext
from tests import paystack
from tests.order_flows import confirm, paid_order
from tests.paystack import staff_principal, wait_for
from tests.unit.invoice_fixtures import (PERSONAL_TITLE, fuelled_order, invoicing,  # noqa: F401
                                         issuer_server, new_user, smtp_sink, sqs_event)
from tests.unit.notifications.fixtures import drain


@pytest.fixture
def pay(aws, base_environment, monkeypatch, pay_servers, templates):
    yield paystack.point_tests_at(pay_servers, base_environment, monkeypatch)
    pay_servers.silence()


@pytest.fixture
def station(aws):
    return paystack.seed_station()


def events_until(queue_url, wanted_id):
    seen = []

    def arrived():
        seen.extend(json.loads(body) for body in drain(queue_url))
        return [e for e in seen if e["event_id"] == wanted_id]
    wait_for(arrived)
    return seen


def test_a_paid_order_publishes_one_payment_event(pay, station, driver, client, queue):
    order = paid_order(client, pay, driver, station, amount_fen=30000)

    events = events_until(queue, f"paid:{order['id']}")

    (event,) = [e for e in events if e["kind"] == "payment_received"]
    assert event["user_id"] == driver.id and event["data"]["amount"] == order["pay_amount_fen"]
    assert event["data"]["station"] == station.name
    assert event["page"] == f"pages/order/detail?id={order['id']}"


def test_a_refund_that_arrives_publishes_its_amount_and_reason(pay, station, driver, client, queue):
    order = paid_order(client, pay, driver, station, amount_fen=30000)
    confirmer = staff_principal("manager", station.id)

    assert confirm(client, confirmer, order["id"], {"actual_amount_fen": 25000}).status_code == 200

    events = events_until(queue, f"refund:{order['id']}-S")
    (refund,) = [e for e in events if e["kind"] == "refund_arrived"]
    assert refund["data"]["amount"] == 5000 and refund["data"]["reason"]


def test_an_issued_invoice_publishes_once_even_when_its_message_comes_twice(invoicing):
    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE, "a@example.com")
    invoicing.queued()
    queue_url = invoicing.resources["NotificationQueue"]["Ref"]

    for message_id in ("m-1", "m-2"):
        invoice_worker(sqs_event((message_id, view.id)), LambdaContext("invoice_worker"))

    invoice = invoice_store.get_invoice(view.id)
    (event,) = [json.loads(body) for body in drain(queue_url)]
    assert event["event_id"] == f"invoice:{invoice.id}" and event["user_id"] == user
    assert event["data"] == {"number": invoice.number, "amount": invoice.total_fen}
