"""The invoice work off the request path: submit to the issuer, poll it, copy its files, mail
them, and reverse an invoice whose order was refunded. `advance` takes one invoice as far as it can go
now and is safe to run any number of times, concurrently: every step is a conditional write on
the state it read, the issuer request serial is fixed at creation (a repeat submission is a
duplicate, never a second number), and mail goes out only under a claim.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from chalicelib import metrics, tracing
from chalicelib.domain.invoices import flow
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.providers.invoice_issuer import (InvoiceIssuerError, InvoiceIssuerFinalError,
                                                 InvoiceNotSubmitted, IssueResult,
                                                 get_invoice_issuer)
from chalicelib.services.invoices import delivery
from chalicelib.services.notifications import events as notifications
from chalicelib.services.outbox import delivery as outbox
from chalicelib.services.invoices.reversal import reverse
from chalicelib.settings import get_settings
from chalicelib.services.invoices.requests import enqueue
from chalicelib.store.invoices import moves
from chalicelib.store.invoices import invoices as store


class InvoiceMissing(LookupError):
    pass


@dataclass
class _Call:
    """What one advance call carries down its steps."""
    told: list | None           # where the outbox messages go (None: sent at once)
    group: object | None = None  # the batch's GroupCommit, or None: each write alone
    mail_claimed: bool = False  # the ISSUED write of this call claimed the mail


def _load(invoice_id: str) -> Invoice:
    invoice = store.get_invoice(invoice_id)
    if invoice is None:
        raise InvoiceMissing(invoice_id)
    return invoice


def _later(attempts: int) -> str:
    return times.iso_z(times.now() + timedelta(seconds=flow.backoff_s(attempts)), micro=True)


def _document(invoice: Invoice) -> dict:
    """What the issuer is asked to issue. The drawer is read now, not at creation: it is the
    one bound to the seller's invoicing account at the time of issuing."""
    return {"seller": invoice.seller, "buyer": invoice.buyer, "lines": list(invoice.lines),
            "remark": invoice.remark, "clerk": get_settings().seller_clerk(invoice.seller["name"])}


@tracing.use_case("invoice_advance")
def advance(invoice_id: str, *, scheduled: bool = False, fresh: bool = False,
            told: list | None = None, group=None) -> str:
    """Do what is due for the invoice; returns its status afterwards. `scheduled` is the
    sweeper's call: it re-drives a REQUESTED invoice through the queue instead of submitting.
    `fresh` is the word of the message sent at creation (REQUESTED, never tried): the worker
    then starts issuing without reading the invoice first, the write being conditional on
    exactly that state, and reads it only if the write finds it moved on. With `told`, the
    outbox messages an ISSUED write stages are added to it for the caller to send (a batch's
    together, jobs/invoices.py) instead of being sent at once; the outbox sweeper sends them if
    the caller never does. With `group` (store/group_commit.py, one per batch whose records run
    side by side), the ISSUED write that claims the mail and the mail's record are committed
    with the batch's other records' in one transaction each."""
    tracing.annotate(invoice_id=invoice_id)
    call = _Call(told, group)
    started = moves.start_issuing(invoice_id, _later(1), attempts_seen=0) if fresh else None
    if started is not None:
        invoice = _send(started, call)
    else:
        invoice = _load(invoice_id)
        due = not invoice.next_attempt_at or \
            invoice.next_attempt_at <= times.iso_z(times.now(), micro=True)
        if scheduled and not due:
            return invoice.status   # the index lags: someone already moved it on
        if invoice.status == flow.REQUESTED:
            invoice = _redrive(invoice) if scheduled else _submit(invoice, call)
        elif invoice.status == flow.ISSUING:
            # A message arriving before the next poll is due may look, but does not use up a try.
            invoice = _poll(invoice, call, count_wait=due)
    if invoice.status == flow.ISSUED:
        if not invoice.pdf_key:
            invoice = delivery.store_files(invoice) or _load(invoice_id)
        if invoice.reversal_due:
            invoice = _reverse(invoice)
        elif call.mail_claimed:
            invoice = delivery.send_claimed(invoice, times.now(), group=call.group) or \
                _load(invoice_id)
        elif invoice.mail_due:
            invoice = delivery.send_mail(invoice, times.now()) or _load(invoice_id)
    if invoice.status == flow.REVERSED and invoice.mail_due:
        invoice = delivery.send_mail(invoice, times.now()) or _load(invoice_id)
    if invoice.status != flow.REQUESTED and invoice.status != flow.ISSUING \
            and invoice.next_attempt_at is not None:
        moves.settle(invoice_id)
    return invoice.status


def _redrive(invoice: Invoice) -> Invoice:
    """A REQUESTED invoice whose message went missing goes back on the queue."""
    if invoice.attempts >= flow.MAX_ATTEMPTS:
        moves.mark_failed(invoice, "NOT_PROCESSED", "the invoice was never picked up for issuing",
                          release_orders=True)   # never submitted: nothing can be issued
    else:
        delay = flow.redrive_delay_s(invoice.attempts + 1)
        moved = moves.record_attempt(invoice.id, flow.REQUESTED, invoice.attempts,
                                     times.iso_z(times.now() + timedelta(seconds=delay), micro=True), "re-driven")
        if moved:
            enqueue(invoice.id)
            return moved
    return _load(invoice.id)


def _submit(invoice: Invoice, call: _Call) -> Invoice:
    started = moves.start_issuing(invoice.id, _later(invoice.attempts + 1))
    if started is None:
        return _poll(_load(invoice.id), call, count_wait=False)   # another worker started it
    return _send(started, call)


def _no_drawer(invoice: Invoice) -> Invoice:
    """Never submitted: nothing can be issued, the orders are free again; ops must add the
    seller's drawer to INVOICE_SELLER_TAX_IDS."""
    get_logger().error("invoice seller has no drawer configured",
                       extra={"invoice_id": invoice.id, "seller": invoice.seller["name"]})
    moves.mark_failed(invoice, "SELLER_NOT_CONFIGURED", "the seller has no invoice drawer "
                      "(clerk) configured", release_orders=True)
    return _load(invoice.id)


def _send(invoice: Invoice, call: _Call) -> Invoice:
    """Submit an invoice this worker has just moved to ISSUING, then ask for the result."""
    document = _document(invoice)
    if not document["clerk"]:
        return _no_drawer(invoice)
    try:
        get_invoice_issuer().submit(invoice.issuer_serial, document)
    except InvoiceIssuerFinalError as err:
        return _fail(invoice, "ISSUER_REFUSED", str(err), release=True)
    except InvoiceIssuerError as err:
        get_logger().warning("invoice submission failed; retrying later",
                             extra={"invoice_id": invoice.id, "error": str(err)})
        return invoice
    return _poll(invoice, call, count_wait=False)


def _poll(invoice: Invoice, call: _Call, *, count_wait: bool = True) -> Invoice:
    """Ask the issuer once. Still ISSUING counts as a try only with count_wait (a due poll)."""
    if invoice.status != flow.ISSUING:
        return invoice
    issuer = get_invoice_issuer()
    try:
        result = issuer.query(invoice.issuer_serial)
    except InvoiceNotSubmitted:
        return _resubmit(invoice)
    except InvoiceIssuerError as err:
        return _retry_later(invoice, str(err))
    if result.status == "ISSUED":
        return _issued(invoice, result, call)
    if result.status == "FAILED":
        if result.numbered and invoice.attempts >= flow.MAX_ATTEMPTS:
            # 签章失败 holds a number: the orders stay on this invoice, people resolve it.
            return _fail(invoice, "ISSUER_SIGNING_FAILED", result.fail_reason or "signing failed",
                         release=False)
        if not result.retryable or invoice.attempts >= flow.MAX_ATTEMPTS:
            return _fail(invoice, "ISSUER_FAILED", result.fail_reason or "issuing failed",
                         release=True)
        try:
            issuer.retry(invoice.issuer_serial)
        except InvoiceIssuerError as err:
            return _retry_later(invoice, str(err))
        return _retry_later(invoice, result.fail_reason)
    return _retry_later(invoice, None) if count_wait else invoice


def _issued(invoice: Invoice, result: IssueResult, call: _Call) -> Invoice:
    """Record ISSUED. The files first, so one write records the number and the files together;
    if they cannot be fetched now, the number is recorded and the files follow (store_files).
    With the files, the same write claims the invoice's mail (call.mail_claimed), so it goes
    out next without a write of its own; a reversal asked for meanwhile leaves the claim out."""
    issued_at = result.issued_at or times.iso_z(times.now(), micro=True)
    try:
        keys = delivery.put_files(invoice.id, result.number, result)
    except InvoiceIssuerError as err:
        get_logger().warning("invoice files not copied yet",
                             extra={"invoice_id": invoice.id, "error": str(err)})
        keys = (None, None)
    # Only the worker whose write makes it ISSUED tells the driver: the message is written
    # with that write, and sent once it is committed (or by the outbox sweeper).
    now = times.now()
    told = notifications.outbox_messages(
        [notifications.invoice_issued(replace(invoice, number=result.number))], now)
    mark = partial(moves.mark_issued, invoice, result.number, issued_at,
                   times.iso_z(now, micro=True), *keys, also=outbox.staged(told))
    issued = mark(mail_until=delivery.mail_lease_until(now), group=call.group) \
        if keys[0] else None
    call.mail_claimed = issued is not None
    issued = issued or mark()
    if issued is not None:
        metrics.count(metrics.Metric.INVOICES_ISSUED)
        if call.told is None:
            outbox.send_now(told)
        else:
            call.told.extend(told)
    get_logger().info("invoice issued", extra={"invoice_id": invoice.id,
                                               "number": result.number})
    return issued or _load(invoice.id)


def _resubmit(invoice: Invoice) -> Invoice:
    """The issuer holds nothing under the serial (the submission was lost): send it again."""
    if invoice.attempts >= flow.MAX_ATTEMPTS:
        return _fail(invoice, "ISSUER_UNAVAILABLE", invoice.last_error or "never accepted",
                     release=True)
    try:
        get_invoice_issuer().submit(invoice.issuer_serial, _document(invoice))
    except InvoiceIssuerFinalError as err:
        return _fail(invoice, "ISSUER_REFUSED", str(err), release=True)
    except InvoiceIssuerError as err:
        return _retry_later(invoice, str(err))
    return _retry_later(invoice, None)


def _retry_later(invoice: Invoice, error: str | None) -> Invoice:
    if invoice.attempts >= flow.MAX_ATTEMPTS:
        # The issuer may still complete a request it accepted: keep the orders reserved to
        # this invoice, so they can never receive a second number; people resolve it.
        get_logger().error("invoice gave up while the issuer may hold it",
                           extra={"invoice_id": invoice.id, "error": error})
        return _fail(invoice, "ISSUER_TIMEOUT", error or "the issuer did not complete in time",
                     release=False)
    return moves.record_attempt(invoice.id, flow.ISSUING, invoice.attempts,
                                _later(invoice.attempts + 1), error) or _load(invoice.id)


def _fail(invoice: Invoice, code: str, reason: str, *, release: bool) -> Invoice:
    if moves.mark_failed(invoice, code, reason, release_orders=release):
        metrics.count(metrics.Metric.INVOICES_FAILED)
    get_logger().warning("invoice failed", extra={"invoice_id": invoice.id, "code": code,
                                                  "reason": reason})
    return _load(invoice.id)


def _reverse(invoice: Invoice) -> Invoice:
    """Apply for (or follow) the red-letter reversal; REVERSED releases the orders."""
    reverse(invoice)
    return _load(invoice.id)
