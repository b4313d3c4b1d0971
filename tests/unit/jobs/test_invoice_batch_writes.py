"""A batch's invoices written together: the records' ISSUED writes in one transaction and their
mails' records in another, and when such a transaction does not commit, each written alone, so
every invoice still ends issued once and mailed once and a record that fails is retried alone.
Through the app's real worker handler, the records side by side, on moto with the issuer
sandbox and the SMTP sink on loopback."""
from __future__ import annotations

import pytest

from chalicelib.jobs import invoices as jobs
from chalicelib.services.invoices import requests as invoices
from chalicelib.store import group_commit
from chalicelib.store.base import get_connection
from chalicelib.store.invoices import invoices as store
from tests.unit.invoice_fixtures import invoicing, issuer_server, smtp_sink  # noqa: F401
from tests.unit.jobs.test_invoice_jobs import (EMAIL, deliver, message_id, requested,  # noqa: F401
                                           submissions)


@pytest.fixture(autouse=True)
def side_by_side(monkeypatch):
    monkeypatch.setattr(jobs, "MAX_PARALLEL", 10)


@pytest.fixture
def group_transactions(monkeypatch) -> list[int]:
    """The number of records' writes each committed group transaction carried."""
    committed: list[int] = []
    together = group_commit.GroupCommit._together

    def counted(self, slots):
        done = together(self, slots)
        if done:
            committed.append(len(slots))
        return done

    monkeypatch.setattr(group_commit.GroupCommit, "_together", counted)
    return committed


@pytest.fixture
def refused_transactions(monkeypatch):
    """DynamoDB refuses every TransactWriteItems naming one of the invoice ids put in the
    returned set (as it would answer an internal error), until they are taken out."""
    from botocore.exceptions import ClientError

    refused: set[str] = set()

    def refuse(params, **_):
        keys = {item.get("Update", item.get("Put", {})).get("Key", {}).get("invoice_id", {})
                .get("S") for item in params["TransactItems"]}
        if keys & refused:
            raise ClientError({"Error": {"Code": "InternalServerError",
                                         "Message": "refused by the test"}},
                              "TransactWriteItems")

    events = get_connection().client.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", refuse)
    yield refused
    events.unregister("before-parameter-build.dynamodb.TransactWriteItems", refuse)


def mails_of(invoicing, number: str) -> int:
    return sum(1 for mail in invoicing.mails(EMAIL) if number in mail["subject"])


def issued_and_mailed_once(invoicing, invoice_id: str) -> bool:
    invoice = store.get_invoice(invoice_id)
    return (invoice.status == "ISSUED" and invoice.mails_sent == 1
            and invoice.next_attempt_at is None and mails_of(invoicing, invoice.number) == 1)


def test_a_batch_is_issued_and_its_mails_recorded_in_one_transaction_each(invoicing,
                                                                         group_transactions):
    ids = [requested(invoicing)[1] for _ in range(4)]

    failed = deliver(*[(message_id(), invoice_id) for invoice_id in ids])

    assert failed == []
    assert all(issued_and_mailed_once(invoicing, invoice_id) for invoice_id in ids)
    assert group_transactions == [4, 4]   # the ISSUED writes, then the mails' records
    assert len({store.get_invoice(i).number for i in ids}) == 4


def test_a_cancelled_batch_transaction_falls_back_to_each_invoice_alone(invoicing, monkeypatch,
                                                                       group_transactions):
    from chalicelib.services.invoices import delivery

    ids = [requested(invoicing)[1] for _ in range(3)]
    refunded = ids[1]
    order_id = store.get_invoice(refunded).order_ids[0]
    put_files = delivery.put_files

    def refunded_meanwhile(invoice_id, *args):
        if invoice_id == refunded:   # between the issuer's answer and the ISSUED write
            invoices.on_order_refunded(order_id)
        return put_files(invoice_id, *args)

    monkeypatch.setattr(delivery, "put_files", refunded_meanwhile)
    failed = deliver(*[(message_id(), invoice_id) for invoice_id in ids])

    # The refunded invoice's condition cancelled the ISSUED transaction: each was written
    # alone, the others claimed their mails, the refunded one was issued without a claim.
    assert failed == []
    assert all(issued_and_mailed_once(invoicing, i) for i in (ids[0], ids[2]))
    invoice = store.get_invoice(refunded)
    assert invoice.number and invoice.reversal_requested_at and invoice.mail_claimed_until is None
    assert mails_of(invoicing, invoice.number) == 0 or invoice.status == "REVERSED"
    assert all(mail["subject"].startswith("红字") for mail in invoicing.mails(EMAIL)
               if invoice.number in mail["subject"])
    assert group_transactions == [2]   # the other two mails' records, together


def test_a_record_whose_write_fails_is_reported_alone_and_its_retry_issues_and_mails_once(
        invoicing, refused_transactions, group_transactions):
    ids = [requested(invoicing)[1] for _ in range(3)]
    messages = [(message_id(), invoice_id) for invoice_id in ids]
    refused_transactions.add(ids[0])

    failed = deliver(*messages)

    assert failed == [messages[0][0]]
    assert all(issued_and_mailed_once(invoicing, i) for i in ids[1:])
    stuck = store.get_invoice(ids[0])   # nothing of its failed write is left
    assert stuck.status == "ISSUING" and stuck.number is None and stuck.mail_attempts == 0
    assert group_transactions == [2]   # the ISSUED ones fell back; their mails went together

    refused_transactions.clear()
    assert deliver(messages[0]) == []   # SQS delivers the failed record again

    assert all(issued_and_mailed_once(invoicing, i) for i in ids)
    assert store.get_invoice(ids[0]).attempts == 1
    assert len({store.get_invoice(i).number for i in ids}) == 3


def fresh_request(invoicing) -> tuple[str, dict]:
    """A new invoice and the message its creation queued (it says `fresh`)."""
    from tests.unit.invoice_fixtures import PERSONAL_TITLE, fuelled_order, new_user

    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE, EMAIL)
    (message,) = invoicing.queued()
    return view.id, message


def test_new_invoices_are_issued_together_and_each_issued_once(
        invoicing, group_transactions, submissions):
    fresh = [fresh_request(invoicing) for _ in range(4)]

    failed = deliver(*[(message_id(), message) for _, message in fresh])

    ids = [invoice_id for invoice_id, _ in fresh]
    assert failed == []
    assert all(issued_and_mailed_once(invoicing, i) for i in ids)
    assert all(store.get_invoice(i).attempts == 1 for i in ids)
    assert sorted(submissions) == sorted(store.get_invoice(i).issuer_serial for i in ids)
    # Each started alone (in parallel, unread), then the ISSUED writes and the mails' records.
    assert group_transactions == [4, 4]


def test_a_new_invoices_message_twice_in_a_batch_or_after_it_issues_it_once(
        invoicing, group_transactions, submissions):
    twice, message = fresh_request(invoicing)
    other, other_message = fresh_request(invoicing)

    copies = [message_id(), message_id()]
    first = deliver((copies[0], message), (copies[1], message), (message_id(), other_message))
    # moto's in-process S3 is not safe for two puts of one key at once (both copies may store
    # the invoice's files): a copy can fail there, and SQS then delivers it again.
    assert set(first) <= set(copies)
    again = deliver((message_id(), message), (message_id(), other_message))

    assert again == []
    assert all(issued_and_mailed_once(invoicing, i) for i in (twice, other))
    # One serial each: a repeat submission under it (the copy that found the invoice started
    # may ask the issuer before the first copy submitted) is a duplicate there, never a second
    # number.
    assert set(submissions) == {store.get_invoice(i).issuer_serial for i in (twice, other)}
