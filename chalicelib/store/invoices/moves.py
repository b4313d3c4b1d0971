"""The moves of an invoice, each one conditional write (or one transaction) on the state the
caller read: the issuing state machine, the mail claim, the reversal, and leaving the in-flight
index. Each answers the invoice as the write left it, or None (False for the transactions) when
the invoice was not in the expected state: another worker got there first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.invoices.flow import FAILED, ISSUED, ISSUING, REQUESTED, REVERSED
from chalicelib.store.base import get_connection
from chalicelib.store.group_commit import GroupCommit, Write
# M is the model: every condition below names it, several times.
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.store.invoices.invoices import InvoiceModel as M, get_invoice, lost_race
from chalicelib.store.invoices.invoices import due_actions as due
from chalicelib.store.invoices.invoices import leave_in_flight_actions as leave_in_flight
from chalicelib.store.invoices.invoices import update_invoice as update
from chalicelib.store.orders.orders import OrderModel

MAX_TEXT = 500


# -- issuing -----------------------------------------------------------------------------------

def start_issuing(invoice_id: str, next_at: str, *,
                  attempts_seen: int | None = None) -> Invoice | None:
    """REQUESTED -> ISSUING, counting an attempt; the caller then submits. With attempts_seen,
    only if that many attempts were counted (a worker acting on what its message says, unread)."""
    condition = M.status == REQUESTED
    if attempts_seen is not None:
        condition &= M.attempts == attempts_seen
    return update(invoice_id, [M.status.set(ISSUING), M.attempts.add(1), *due(invoice_id, next_at)],
                  condition)


def record_attempt(invoice_id: str, status: str, attempts_seen: int, next_at: str,
                   error: str | None = None) -> Invoice | None:
    """Count one more attempt in `status` and schedule the next (a re-drive, a poll, a
    resubmission). The count condition keeps two concurrent tries from counting twice."""
    actions = [M.attempts.set(attempts_seen + 1), *due(invoice_id, next_at)]
    if error:
        actions.append(M.last_error.set(error[:MAX_TEXT]))
    return update(invoice_id, actions, (M.status == status) & (M.attempts == attempts_seen))


def _file_actions(pdf_attr, ofd_attr, pdf_key: str | None, ofd_key: str | None) -> list:
    return ([pdf_attr.set(pdf_key)] if pdf_key else []) + ([ofd_attr.set(ofd_key)] if ofd_key
                                                          else [])


def mark_issued(invoice: Invoice, number: str, issued_at: str, now: str,
                pdf_key: str | None = None, ofd_key: str | None = None, *,
                also: Callable | None = None, mail_until: str | None = None,
                group: GroupCommit | None = None) -> Invoice | None:
    """ISSUING -> ISSUED with the number (and the stored files, when they were copied already),
    and `also(tx)` in the same transaction (the outbox message telling the driver).

    With mail_until the same write also claims the mail that is due (see claim_mail), so the
    caller can send it at once; it then holds only if no reversal was asked for meanwhile, and
    the answer is known without reading the invoice back: the condition pins every field the
    caller goes on to use. Without it, the invoice is read back (a reversal may be waiting).
    With a group (and mail_until), the write is committed with the batch's others."""
    actions = [M.status.set(ISSUED), M.number.set(number), M.issued_at.set(issued_at),
               M.last_error.remove(), *due(invoice.id, now),
               *_file_actions(M.pdf_key, M.ofd_key, pdf_key, ofd_key)]
    condition = M.status == ISSUING
    left = replace(invoice, status=ISSUED, number=number, issued_at=issued_at, last_error=None,
                   next_attempt_at=now, pdf_key=pdf_key or invoice.pdf_key,
                   ofd_key=ofd_key or invoice.ofd_key)
    if mail_until is not None:
        actions += [M.mail_claimed_until.set(mail_until), M.mail_attempts.add(1)]
        condition &= M.reversal_requested_at.does_not_exist() & _mail_free(
            invoice.mails_sent, now)
        left = replace(left, mail_claimed_until=mail_until, mail_attempts=invoice.mail_attempts + 1)

    def stage(tx) -> None:
        tx.update(M(invoice.id), actions=actions, condition=condition)
        if also is not None:
            also(tx)

    if group is not None and mail_until is not None:
        return group.write(Write(invoice.id, stage, left, partial(
            mark_issued, invoice, number, issued_at, now, pdf_key, ofd_key, also=also,
            mail_until=mail_until)))
    if also is None:
        return update(invoice.id, actions, condition)
    try:
        with TransactWrite(connection=get_connection()) as tx:
            stage(tx)
    except TransactWriteError as err:
        if lost_race(err):
            return None
        raise
    return left if mail_until is not None else get_invoice(invoice.id)


def mark_failed(invoice: Invoice, code: str, reason: str, *, release_orders: bool) -> bool:
    """REQUESTED|ISSUING -> FAILED, from the status the caller saw; with release_orders the
    orders may be invoiced again (only when the issuer surely holds no number for them)."""
    actions = [M.status.set(FAILED), M.fail_code.set(code), M.fail_reason.set(reason[:MAX_TEXT]),
               *leave_in_flight()]
    condition = (M.status == invoice.status) & M.status.is_in(REQUESTED, ISSUING)
    if not release_orders:
        return update(invoice.id, actions, condition) is not None
    return _releasing_orders(invoice, actions, condition)


def set_files(invoice_id: str, pdf_key: str, ofd_key: str | None) -> Invoice | None:
    return update(invoice_id, _file_actions(M.pdf_key, M.ofd_key, pdf_key, ofd_key),
                  M.pdf_key.does_not_exist() & M.number.exists())


def _releasing_orders(invoice: Invoice, actions: list, condition) -> bool:
    """Apply `actions` to the invoice and free its orders, in one transaction."""
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.update(M(invoice.id), actions=actions, condition=condition)
            for order_id in invoice.order_ids:
                tx.update(OrderModel(order_id), actions=[OrderModel.invoice_id.remove()],
                          condition=OrderModel.invoice_id == invoice.id)
    except TransactWriteError as err:
        if lost_race(err):
            return False
        raise
    return True


# -- mail --------------------------------------------------------------------------------------

def claim_mail(invoice_id: str, sent_seen: int, now: str, until: str) -> Invoice | None:
    """Take the right to send mail number sent_seen + 1; only one holder at a time."""
    return update(invoice_id, [M.mail_claimed_until.set(until), M.mail_attempts.add(1)],
                  M.status.is_in(ISSUED, REVERSED) & _mail_free(sent_seen, now))


def _mail_free(sent_seen: int, now: str):
    """Mail number sent_seen + 1 is due and nobody holds a live claim on it."""
    free = M.mail_claimed_until.does_not_exist() | (M.mail_claimed_until < now)
    return (M.mails_sent == sent_seen) & (M.mails_requested > sent_seen) & free


def mark_mail_sent(invoice_id: str, sent_seen: int, now: str, *,
                   group: GroupCommit | None = None,
                   claimed: Invoice | None = None) -> Invoice | None:
    """Record mail number sent_seen + 1; when it was the last one asked for and no reversal is
    waiting (or it was the reversal's mail), the same write takes the invoice out of the
    in-flight index.

    With a group and `claimed` (the invoice as the write claiming this mail left it), the write
    that takes it out of the index is committed with the batch's others, answering `claimed`
    so changed without reading it back (the condition pins what changed); if the invoice is
    not done with, the batch's transaction is cancelled and each write is made alone."""
    actions = [M.mails_sent.set(sent_seen + 1), M.mail_sent_at.set(now), M.mail_attempts.set(0),
               M.mail_error.remove(), M.mail_claimed_until.remove()]
    sent = M.mails_sent == sent_seen
    issued_done = ((M.status == ISSUED) & M.pdf_key.exists()
                   & M.reversal_requested_at.does_not_exist())
    last = (M.mails_requested == sent_seen + 1) & (issued_done | (M.status == REVERSED))
    if group is not None and claimed is not None:
        left = replace(claimed, mails_sent=sent_seen + 1, mail_sent_at=now, mail_attempts=0,
                       mail_error=None, mail_claimed_until=None, next_attempt_at=None)
        return group.write(Write(invoice_id, lambda tx: tx.update(
            M(invoice_id), actions=actions + leave_in_flight(), condition=sent & last), left,
            partial(mark_mail_sent, invoice_id, sent_seen, now)))
    return update(invoice_id, actions + leave_in_flight(), sent & last) or \
        update(invoice_id, actions, sent)


def mail_not_sent(invoice_id: str, sent_seen: int, error: str,
                  next_at: str | None) -> Invoice | None:
    """Give the claim back after a failed send: try again at next_at, or (None) give up on
    this mail; a resend can ask again."""
    actions = [M.mail_error.set(error[:MAX_TEXT]), M.mail_claimed_until.remove()]
    if next_at is None:
        actions += [M.mails_requested.set(sent_seen), M.mail_attempts.set(0)]
    else:
        actions += due(invoice_id, next_at)
    return update(invoice_id, actions, M.mails_sent == sent_seen)


def request_mail(invoice_id: str, user_id: str, email: str, now: str,
                 max_mails: int) -> Invoice | None:
    """Resend: one more mail to `email`, unless one is already waiting or the limit is reached."""
    return update(invoice_id, [M.mails_requested.add(1), M.email.set(email),
                               M.mail_attempts.set(0), *due(invoice_id, now)],
                  (M.user_id == user_id) & (M.status == ISSUED)
                  & (M.mails_requested == M.mails_sent) & (M.mails_requested < max_mails))


# -- reversal ----------------------------------------------------------------------------------

def request_reversal(invoice_id: str, serial: str, now: str) -> Invoice | None:
    return update(invoice_id, [M.reversal_requested_at.set(now), M.reversal_serial.set(serial),
                               *due(invoice_id, now)],
                  M.status.is_in(ISSUING, ISSUED) & M.reversal_requested_at.does_not_exist())


def record_reversal_attempt(invoice_id: str, attempts_seen: int, next_at: str, error: str | None,
                            new_serial: str | None = None) -> Invoice | None:
    actions = [M.reversal_attempts.set(attempts_seen + 1), *due(invoice_id, next_at)]
    if error:
        actions.append(M.reversal_error.set(error[:MAX_TEXT]))
    if new_serial:
        actions.append(M.reversal_serial.set(new_serial))
    return update(invoice_id, actions,
                  (M.status == ISSUED) & (M.reversal_attempts == attempts_seen))


def reversal_failed(invoice_id: str, now: str, error: str) -> Invoice | None:
    """Give up reversing (the orders stay on the issued invoice); people must look at it."""
    return update(invoice_id, [M.reversal_failed_at.set(now),
                               M.reversal_error.set(error[:MAX_TEXT])],
                  (M.status == ISSUED) & M.reversal_failed_at.does_not_exist())


def mark_reversed(invoice: Invoice, number: str, reversed_at: str, now: str,
                  pdf_key: str | None, ofd_key: str | None) -> bool:
    """ISSUED -> REVERSED with the red-letter number and its files, and one mail to the buyer
    asked for (it replaces a mail of the cancelled invoice still waiting); the orders are
    released in the same transaction, so their remaining amount can be invoiced again."""
    actions = [M.status.set(REVERSED), M.reversal_number.set(number),
               M.reversed_at.set(reversed_at), M.reversal_error.remove(),
               M.mails_requested.set(M.mails_sent + 1), M.mail_attempts.set(0),
               *_file_actions(M.reversal_pdf_key, M.reversal_ofd_key, pdf_key, ofd_key),
               *due(invoice.id, now)]
    return _releasing_orders(invoice, actions, M.status == ISSUED)


# -- the in-flight index -----------------------------------------------------------------------

def settle(invoice_id: str) -> Invoice | None:
    """Drop the invoice from the in-flight index if nothing is left to do."""
    issued_and_done = ((M.status == ISSUED) & M.pdf_key.exists()
                       & (M.mails_sent >= M.mails_requested)
                       & (M.reversal_requested_at.does_not_exist()
                          | M.reversal_failed_at.exists()))
    reversed_and_mailed = (M.status == REVERSED) & (M.mails_sent >= M.mails_requested)
    return update(invoice_id, leave_in_flight(),
                  M.work_shard.exists()
                  & (issued_and_done | reversed_and_mailed | (M.status == FAILED)))
