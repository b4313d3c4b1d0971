"""The invoice worker and sweeper, called through the app's real handlers with SQS and schedule
events built by hand (unique and repeated messageIds), the issuer sandbox and the SMTP sink on
loopback, and a clock moved by hand. Whatever arrives twice: one number, one mail."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app import invoice_sweeper, invoice_worker
from chalicelib.domain import times
from chalicelib.domain.invoices import flow
from chalicelib.jobs import invoices as jobs
from chalicelib.providers import invoice_issuer
from chalicelib.services.invoices import requests as invoices
from chalicelib.store.invoices import moves
from chalicelib.store.invoices import invoices as store
from chalicelib.store.orders.orders import OrderModel
from devstack.worker import LambdaContext
from tests.paystack import wait_for
from tests.unit.invoice_fixtures import (PERSONAL_TITLE, clock, fuelled_order,  # noqa: F401
                                         invoicing, issuer_server, new_user, schedule_event,
                                         smtp_sink, sqs_event)

EMAIL = "fleet@example.com"


def deliver(*records) -> list[str]:
    """Run the worker on one batch; returns the messageIds it reported as failed."""
    answer = invoice_worker(sqs_event(*records), LambdaContext("invoice_worker"))
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def sweep(clock, seconds: float = 0) -> dict:
    clock.advance(seconds)
    return invoice_sweeper(schedule_event(), LambdaContext("invoice_sweeper"))


def message_id() -> str:
    return str(uuid.uuid4())


def issuer_has_an_answer(invoice_id: str) -> None:
    """Wait until the issuer sandbox has the outcome of the invoice's request (it has one
    `delay_s` after accepting it), asking it as the sweeper does."""
    serial = store.get_invoice(invoice_id).issuer_serial
    issuer = invoice_issuer.get_invoice_issuer()
    wait_for(lambda: issuer.query(serial).status != "ISSUING")


def issuer_has_the_reversal(invoice_id: str) -> None:
    serial = store.get_invoice(invoice_id).reversal_serial
    issuer = invoice_issuer.get_invoice_issuer()
    wait_for(lambda: issuer.query_red_letter(serial).status != "ISSUING")


def requested(invoicing, user: str | None = None, **order) -> tuple[str, str]:
    user = user or new_user()
    view = invoices.request_invoice(user, [fuelled_order(user, **order)], PERSONAL_TITLE, EMAIL)
    invoicing.queued()   # the tests hand the messages over themselves
    return user, view.id


@pytest.fixture(autouse=True)
def one_record_at_a_time(monkeypatch):
    """moto does not make a conditional write atomic across threads, so records of one batch
    run one after another here; the concurrent case runs on DynamoDB Local
    (tests/integration/test_invoice_concurrency.py)."""
    monkeypatch.setattr(jobs, "MAX_PARALLEL", 1)


@pytest.fixture
def submissions(monkeypatch):
    """Every serial the worker submits to the issuer, in order."""
    seen: list[str] = []
    original = invoice_issuer.InvoiceIssuerClient.submit

    def spy(self, serial_no, invoice):
        seen.append(serial_no)
        return original(self, serial_no, invoice)

    monkeypatch.setattr(invoice_issuer.InvoiceIssuerClient, "submit", spy)
    return seen


def test_one_message_issues_stores_the_platforms_files_and_mails_the_number_and_links(invoicing):
    _, invoice_id = requested(invoicing)

    failed = deliver((message_id(), invoice_id))

    invoice = store.get_invoice(invoice_id)
    assert failed == [] and invoice.status == "ISSUED" and len(invoice.number) == 20
    assert invoicing.pdf(invoice.pdf_key).startswith(b"%PDF")
    (mail,) = invoicing.mails(EMAIL)
    assert invoice.number in mail["subject"] and invoice.number in mail["text"]
    assert invoicing.pdf(invoice.ofd_key).startswith(b"PK")   # OFD is a zip
    assert len(set(mail["links"])) == 2   # the PDF and the OFD
    assert all("/v1/invoice-files/" in link and "X-Amz" not in link for link in mail["links"])
    assert invoice.next_attempt_at is None   # nothing left in flight


def test_redelivered_and_duplicate_messages_give_one_number_and_one_mail(invoicing, submissions):
    _, invoice_id = requested(invoicing)
    repeated = message_id()

    first = deliver((repeated, invoice_id), (repeated, invoice_id), (message_id(), invoice_id))
    number = store.get_invoice(invoice_id).number
    again = deliver((repeated, invoice_id))
    later = deliver((message_id(), invoice_id), (message_id(), invoice_id))

    assert first == again == later == []
    assert set(submissions) == {store.get_invoice(invoice_id).issuer_serial}
    assert store.get_invoice(invoice_id).number == number
    assert len(invoicing.mails(EMAIL)) == 1


def test_the_message_of_a_new_invoice_issues_it_once_however_often_it_arrives(invoicing,
                                                                             submissions):
    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE, EMAIL)
    (message,) = invoicing.queued()

    first = deliver((message_id(), message))
    again = deliver((message_id(), message), (message_id(), message))

    invoice = store.get_invoice(view.id)
    assert message["fresh"] is True and first == again == []
    assert invoice.status == "ISSUED" and invoice.attempts == 1 and invoice.mails_sent == 1
    assert submissions == [invoice.issuer_serial]
    (mail,) = invoicing.mails(EMAIL)
    assert invoice.number in mail["subject"] and invoice.next_attempt_at is None


def test_a_refund_while_issuing_reverses_the_invoice_instead_of_mailing_it(invoicing,
                                                                           monkeypatch):
    from chalicelib.services.invoices import delivery

    _, invoice_id = requested(invoicing)
    order_id = store.get_invoice(invoice_id).order_ids[0]
    put_files, refunds = delivery.put_files, []

    def refunded_meanwhile(*args):
        if not refunds:   # between the issuer's answer and the ISSUED write
            refunds.append(invoices.on_order_refunded(order_id))
        return put_files(*args)

    monkeypatch.setattr(delivery, "put_files", refunded_meanwhile)
    deliver((message_id(), invoice_id))

    invoice = store.get_invoice(invoice_id)
    assert refunds == ["reversal requested"]
    assert invoice.number and invoice.reversal_requested_at and invoice.mail_claimed_until is None
    # The only mail is the red-letter one of the reversal, if it is done already.
    assert all(mail["subject"].startswith("红字") for mail in invoicing.mails(EMAIL))
    assert invoice.mails_sent == (1 if invoice.status == "REVERSED" else 0)


def test_a_slow_issuer_is_polled_by_the_sweeper(invoicing, clock):
    invoicing.issuer(delay_s=0.3)
    _, invoice_id = requested(invoicing)

    deliver((message_id(), invoice_id))
    assert store.get_invoice(invoice_id).status == "ISSUING"
    issuer_has_an_answer(invoice_id)
    assert sweep(clock, 0) == {}                 # not due yet
    counts = sweep(clock, flow.FIRST_POLL_S + 1)

    assert counts == {"ISSUED": 1} and store.get_invoice(invoice_id).status == "ISSUED"
    assert len(invoicing.mails(EMAIL)) == 1


def test_an_issuer_that_stays_busy_ends_failed_with_a_reason_after_the_bound(invoicing, clock,
                                                                             submissions):
    invoicing.issuer(fail_rate_temporary=1.0)
    _, invoice_id = requested(invoicing)

    deliver((message_id(), invoice_id))
    for _ in range(flow.MAX_ATTEMPTS + 2):
        sweep(clock, flow.BACKOFF_CAP_S + 1)

    invoice = store.get_invoice(invoice_id)
    assert invoice.status == "FAILED" and invoice.fail_code == "ISSUER_TIMEOUT"
    assert "E9999" in invoice.fail_reason and invoice.attempts == flow.MAX_ATTEMPTS
    assert set(submissions) == {invoice.issuer_serial}
    assert invoicing.mails(EMAIL) == []
    # The issuer might still hold the request: the order stays on this invoice.
    assert OrderModel.get(invoice.order_ids[0]).invoice_id == invoice_id


def test_an_invoice_the_issuer_refuses_for_good_fails_and_frees_its_orders(invoicing, clock):
    invoicing.issuer(fail_rate_permanent=1.0)
    user, invoice_id = requested(invoicing)

    deliver((message_id(), invoice_id))

    invoice = store.get_invoice(invoice_id)
    assert invoice.status == "FAILED" and invoice.fail_code == "ISSUER_FAILED"
    assert "购方信息" in invoice.fail_reason
    assert OrderModel.get(invoice.order_ids[0]).invoice_id is None
    invoicing.issuer()
    again = invoices.request_invoice(user, list(invoice.order_ids), PERSONAL_TITLE, EMAIL)
    assert again.status == "REQUESTED"


def test_a_transient_issuer_failure_is_retried_under_the_same_serial(invoicing, clock,
                                                                     submissions):
    invoicing.issuer(fail_rate_transient=1.0)
    _, invoice_id = requested(invoicing)
    deliver((message_id(), invoice_id))
    assert store.get_invoice(invoice_id).status == "ISSUING"

    invoicing.issuer(fail_rate_transient=0.0)
    sweep(clock, flow.BACKOFF_CAP_S)     # reInvoice
    sweep(clock, flow.BACKOFF_CAP_S)     # issued

    invoice = store.get_invoice(invoice_id)
    assert invoice.status == "ISSUED" and len(submissions) == 1
    assert len(invoicing.mails(EMAIL)) == 1


def test_one_bad_record_fails_alone_in_its_batch(invoicing):
    _, invoice_id = requested(invoicing)
    good, unknown = message_id(), message_id()
    event = sqs_event((good, invoice_id), (unknown, "inv_does_not_exist"))
    event["Records"].append({**event["Records"][0], "messageId": "garbled", "body": "{oops"})

    answer = invoice_worker(event, LambdaContext("invoice_worker"))

    assert sorted(i["itemIdentifier"] for i in answer["batchItemFailures"]) == sorted(
        [unknown, "garbled"])
    assert store.get_invoice(invoice_id).status == "ISSUED"


def test_a_mail_refused_for_a_while_is_sent_once_by_the_sweeper(invoicing, clock):
    invoicing.outbox.fail_next = 2
    _, invoice_id = requested(invoicing)

    deliver((message_id(), invoice_id))
    deliver((message_id(), invoice_id))       # a duplicate message tries again at once
    assert invoicing.mails(EMAIL) == []
    for _ in range(3):
        sweep(clock, flow.BACKOFF_CAP_S)

    assert len(invoicing.mails(EMAIL)) == 1
    assert store.get_invoice(invoice_id).next_attempt_at is None


def test_a_mail_claimed_by_another_worker_is_left_to_it(invoicing, clock):
    user, invoice_id = requested(invoicing)
    deliver((message_id(), invoice_id))
    invoices.resend_invoice(user, invoice_id)
    lease = times.iso_z(clock() + timedelta(seconds=flow.MAIL_LEASE_S), micro=True)

    claimed_elsewhere = moves.claim_mail(invoice_id, 1, times.iso_z(clock(), micro=True), lease)
    deliver((message_id(), invoice_id))

    assert claimed_elsewhere and len(invoicing.mails(EMAIL)) == 1


def test_a_mail_refused_for_good_is_given_up_and_can_be_resent(invoicing, clock):
    invoicing.outbox.fail_next, invoicing.outbox.fail_code = 1, 550
    user, invoice_id = requested(invoicing)

    deliver((message_id(), invoice_id))
    invoice = store.get_invoice(invoice_id)
    assert invoice.mail_error and invoice.next_attempt_at is None and not invoice.mail_due

    invoices.resend_invoice(user, invoice_id)
    deliver((message_id(), invoice_id))
    assert len(invoicing.mails(EMAIL)) == 1


def test_a_requested_invoice_whose_message_was_lost_is_redriven(invoicing, clock):
    _, invoice_id = requested(invoicing)

    assert sweep(clock, 30) == {}
    sweep(clock, flow.REDRIVE_AFTER_S)
    (message,) = invoicing.queued()
    deliver((message_id(), message["invoice_id"]))

    assert store.get_invoice(invoice_id).status == "ISSUED"


def test_a_requested_invoice_never_picked_up_fails_and_frees_its_orders(invoicing, clock):
    _, invoice_id = requested(invoicing)

    for _ in range(flow.MAX_ATTEMPTS + 1):
        sweep(clock, flow.BACKOFF_CAP_S + flow.REDRIVE_AFTER_S)

    invoice = store.get_invoice(invoice_id)
    assert invoice.status == "FAILED" and invoice.fail_code == "NOT_PROCESSED"
    assert OrderModel.get(invoice.order_ids[0]).invoice_id is None
    assert len(invoicing.queued()) == flow.MAX_ATTEMPTS


def test_a_refund_reverses_the_issued_invoice_with_its_own_number_once(invoicing, clock):
    invoicing.issuer(delay_s=0.2)
    user, invoice_id = requested(invoicing)
    deliver((message_id(), invoice_id))
    issuer_has_an_answer(invoice_id)
    sweep(clock, flow.BACKOFF_CAP_S)
    invoice = store.get_invoice(invoice_id)
    order_id = invoice.order_ids[0]

    assert invoices.on_order_refunded(order_id) == "reversal requested"
    assert invoices.on_order_refunded(order_id) == "reversal already requested"
    for message in invoicing.queued():
        deliver((message_id(), message["invoice_id"]))
    issuer_has_the_reversal(invoice_id)
    sweep(clock, flow.BACKOFF_CAP_S)

    reversed_ = store.get_invoice(invoice_id)
    assert reversed_.status == "REVERSED" and len(reversed_.reversal_number) == 20
    assert reversed_.reversal_number != invoice.number
    assert OrderModel.get(order_id).invoice_id is None
    view = invoices.get_invoice(user, invoice_id)
    assert view.reversal.number == reversed_.reversal_number
    assert invoices.request_invoice(user, [order_id], PERSONAL_TITLE, EMAIL).status == \
        "REQUESTED"


def test_a_refund_before_issuing_cancels_the_invoice(invoicing):
    _, invoice_id = requested(invoicing)
    order_id = store.get_invoice(invoice_id).order_ids[0]

    assert invoices.on_order_refunded(order_id) == "cancelled"
    deliver((message_id(), invoice_id))

    invoice = store.get_invoice(invoice_id)
    assert invoice.status == "FAILED" and invoice.fail_code == "ORDER_REFUNDED"
    assert invoice.number is None and OrderModel.get(order_id).invoice_id is None


def test_a_repeated_notification_of_an_older_refund_leaves_a_later_invoice_alone(invoicing):
    """The invoice was requested after the refund finished, so it invoiced only what was left:
    WeChat Pay repeating that refund's notification must not cancel or reverse it."""
    _, invoice_id = requested(invoicing)
    invoice = store.get_invoice(invoice_id)
    refunded_before = times.parse_iso(invoice.created_at) - timedelta(seconds=1)

    assert invoices.on_order_refunded(invoice.order_ids[0], refunded_at=refunded_before) == \
        "invoice requested after the refund"
    assert store.get_invoice(invoice_id).status == "REQUESTED"
    refunded_after = refunded_before + timedelta(hours=1)
    assert invoices.on_order_refunded(invoice.order_ids[0], refunded_at=refunded_after) == \
        "cancelled"


def test_a_refund_of_an_order_without_invoice_does_nothing(invoicing):
    assert invoices.on_order_refunded(fuelled_order(new_user())) == "nothing"


def test_the_sweeper_stops_taking_work_when_its_time_runs_out(invoicing, clock):
    for _ in range(2):
        requested(invoicing)
    clock.advance(flow.REDRIVE_AFTER_S + 1)
    context = LambdaContext("invoice_sweeper")
    context.get_remaining_time_in_millis = lambda: 1000

    assert invoice_sweeper(schedule_event(), context) == {}


def test_a_batch_of_different_invoices_is_worked_side_by_side(invoicing, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_PARALLEL", 10)
    ids = [requested(invoicing)[1] for _ in range(5)]

    failed = deliver(*[(message_id(), invoice_id) for invoice_id in ids])

    assert failed == []
    assert {store.get_invoice(i).status for i in ids} == {"ISSUED"}
    assert len(invoicing.mails(EMAIL)) == 5


def test_a_batch_tells_each_driver_once_and_leaves_nothing_in_the_outbox(invoicing, monkeypatch):
    import json
    from datetime import datetime, timezone

    from chalicelib.store.outbox import messages as outbox_store
    from tests.unit.notifications.fixtures import drain

    monkeypatch.setattr(jobs, "MAX_PARALLEL", 10)
    requests = [requested(invoicing) for _ in range(4)]

    assert deliver(*[(message_id(), invoice_id) for _, invoice_id in requests]) == []

    told = [json.loads(body) for body in drain(invoicing.resources["NotificationQueue"]["Ref"])]
    assert sorted(event["event_id"] for event in told) == sorted(
        f"invoice:{invoice_id}" for _, invoice_id in requests)
    assert {event["user_id"] for event in told} == {user for user, _ in requests}
    far_future = datetime(2100, 1, 1, tzinfo=timezone.utc)
    assert outbox_store.pending_page(far_future, 100, None)[0] == []

