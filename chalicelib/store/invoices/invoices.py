"""Invoices: one item each, indexed by user (GSI `by-user`) and, while work is left, by when it
is due (sparse GSI `in-flight`: only items holding `work_shard` appear in it).

This module holds the model, creation with the reservation of the orders, and the reads; the
moves of an invoice are in store/invoices/moves.py. Every change is one conditional write or one
transaction. The orders an invoice covers are reserved (order.invoice_id) in the transaction that
creates it and released in the one that fails or reverses it, so an order is on at most one live
invoice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.domain.invoices.flow import REQUESTED, InvoiceStatus, work_shard
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.orders.orders import OrderStatus
from chalicelib.store.base import (StageModel, error_code, get_connection,
                                   transaction_condition_failed)
from chalicelib.store.orders.orders import OrderModel


class ByUserIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class InFlightIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "in-flight"
        projection = KeysOnlyProjection()

    work_shard = UnicodeAttribute(hash_key=True)
    next_attempt_at = UnicodeAttribute(range_key=True)


class InvoiceModel(StageModel):
    logical_name = "invoices"

    class Meta:
        pass

    invoice_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()          # UTC ISO 8601 with microseconds: sorts as text
    status = UnicodeAttribute()
    order_ids = ListAttribute(of=UnicodeAttribute)
    station_id = UnicodeAttribute()
    email = UnicodeAttribute()
    content = UnicodeAttribute()             # JSON {seller, buyer, lines, remark}, fixed
    net_fen = NumberAttribute()
    tax_fen = NumberAttribute()
    total_fen = NumberAttribute()
    issuer_serial = UnicodeAttribute()       # fixed at creation: one request, one number
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    number = UnicodeAttribute(null=True)
    issued_at = UnicodeAttribute(null=True)
    fail_code = UnicodeAttribute(null=True)
    fail_reason = UnicodeAttribute(null=True)
    pdf_key = UnicodeAttribute(null=True)    # the platform's files, copied into the bucket
    ofd_key = UnicodeAttribute(null=True)
    # Mail: `mails_sent` < `mails_requested` means one is due; a claim guards the sending.
    mails_requested = NumberAttribute(default=1)
    mails_sent = NumberAttribute(default=0)
    mail_attempts = NumberAttribute(default=0)
    mail_claimed_until = UnicodeAttribute(null=True)
    mail_sent_at = UnicodeAttribute(null=True)
    mail_error = UnicodeAttribute(null=True)
    # Red-letter reversal, asked for when a covered order is refunded.
    reversal_requested_at = UnicodeAttribute(null=True)
    reversal_serial = UnicodeAttribute(null=True)
    reversal_attempts = NumberAttribute(default=0)
    reversal_number = UnicodeAttribute(null=True)
    reversed_at = UnicodeAttribute(null=True)
    reversal_failed_at = UnicodeAttribute(null=True)
    reversal_error = UnicodeAttribute(null=True)
    reversal_pdf_key = UnicodeAttribute(null=True)   # the red-letter invoice's own files
    reversal_ofd_key = UnicodeAttribute(null=True)
    # Present only while work is left: the keys of the in-flight index.
    work_shard = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    by_user = ByUserIndex()
    in_flight = InFlightIndex()


_NUMBERS = ("attempts", "mails_requested", "mails_sent", "mail_attempts", "reversal_attempts")
_TEXTS = ("last_error", "number", "issued_at", "fail_code", "fail_reason", "pdf_key",
          "ofd_key", "mail_claimed_until", "mail_sent_at", "mail_error", "reversal_requested_at",
          "reversal_serial", "reversal_number", "reversed_at", "reversal_failed_at",
          "reversal_error", "reversal_pdf_key", "reversal_ofd_key", "next_attempt_at")


def _to_invoice(model: InvoiceModel) -> Invoice:
    content = json.loads(model.content)
    return Invoice(
        id=model.invoice_id, user_id=model.user_id, created_at=model.created_at,
        status=InvoiceStatus(model.status), order_ids=tuple(model.order_ids),
        station_id=model.station_id,
        email=model.email, seller=content["seller"], buyer=content["buyer"],
        lines=tuple(content["lines"]), remark=content.get("remark", ""),
        net_fen=int(model.net_fen), tax_fen=int(model.tax_fen), total_fen=int(model.total_fen),
        issuer_serial=model.issuer_serial,
        **{name: int(getattr(model, name) or 0) for name in _NUMBERS},
        **{name: getattr(model, name) for name in _TEXTS})


def update_invoice(invoice_id: str, actions: list, condition) -> Invoice | None:
    """The invoice as the update left it, or None when the condition did not hold."""
    model = InvoiceModel(invoice_id)
    try:
        model.update(actions=actions, condition=condition)
    except UpdateError as err:
        # A transaction on the item at the same moment is a lost race like a failed condition.
        if error_code(err) in ("ConditionalCheckFailedException",
                                       "TransactionConflictException"):
            return None
        raise
    return _to_invoice(model)


def lost_race(err: TransactWriteError) -> bool:
    """A transaction cancelled by a condition, or by a concurrent transaction on its items."""
    reasons = getattr(err, "cancellation_reasons", None) or []
    return transaction_condition_failed(err) or any(
        r is not None and r.code == "TransactionConflict" for r in reasons)


def leave_in_flight_actions() -> list:
    return [InvoiceModel.work_shard.remove(), InvoiceModel.next_attempt_at.remove()]


def due_actions(invoice_id: str, at: str) -> list:
    return [InvoiceModel.work_shard.set(work_shard(invoice_id)),
            InvoiceModel.next_attempt_at.set(at)]


# -- creation and reads ---------------------------------------------------------------------

@dataclass(frozen=True)
class OrderClaim:
    """An order as read for an invoice; the reservation holds only if its version is unchanged."""
    order_id: str
    user_id: str
    status: OrderStatus
    version: int
    station_id: str
    grade: str
    liters_ml: int
    pay_amount_fen: int
    refunded_fen: int
    refund_reserved_fen: int
    pay_method: str
    fuelled: bool
    invoice_id: str | None = None


def _claim_of(model: OrderModel) -> OrderClaim:
    return OrderClaim(
        order_id=model.order_id, user_id=model.user_id, status=OrderStatus(model.status),
        version=int(model.version or 0), station_id=model.station_id, grade=str(model.grade),
        liters_ml=int(model.liters_ml or 0), pay_amount_fen=int(model.pay_amount_fen or 0),
        refunded_fen=int(model.refunded_fen or 0),
        refund_reserved_fen=int(model.refund_reserved_fen or 0),
        pay_method=model.pay_method or "", fuelled=model.fuelled_at is not None,
        invoice_id=model.invoice_id)


def read_orders(order_ids: list[str]) -> dict[str, OrderClaim]:
    """The orders that exist among order_ids, read consistently (an invoice is built from them)."""
    return {model.order_id: _claim_of(model)
            for model in OrderModel.batch_get(order_ids, consistent_read=True)}


def invoice_id_of_order(order_id: str) -> str | None:
    try:
        return OrderModel.get(order_id, consistent_read=True).invoice_id
    except OrderModel.DoesNotExist:
        return None


def create_invoice(invoice: Invoice, claims: list[OrderClaim], due_at: str) -> bool:
    """Create the invoice and reserve its orders (order.invoice_id) in one transaction.

    False (nothing written) when any order was meanwhile reserved or changed in any way. The
    order's version is left alone: the orders use cases write only what they change, so a
    reservation never makes their concurrent writes fail, nor do they undo it.
    """
    model = InvoiceModel(
        invoice.id, user_id=invoice.user_id, created_at=invoice.created_at,
        status=REQUESTED, order_ids=list(invoice.order_ids), station_id=invoice.station_id,
        email=invoice.email, net_fen=invoice.net_fen, tax_fen=invoice.tax_fen,
        total_fen=invoice.total_fen, issuer_serial=invoice.issuer_serial,
        content=json.dumps({"seller": invoice.seller, "buyer": invoice.buyer,
                            "lines": list(invoice.lines), "remark": invoice.remark},
                           ensure_ascii=False, separators=(",", ":")),
        attempts=0, mails_requested=1, mails_sent=0, mail_attempts=0, reversal_attempts=0,
        work_shard=work_shard(invoice.id), next_attempt_at=due_at)
    try:
        with TransactWrite(connection=get_connection()) as tx:
            for claim in claims:
                tx.update(OrderModel(claim.order_id),
                          actions=[OrderModel.invoice_id.set(invoice.id)],
                          condition=(OrderModel.invoice_id.does_not_exist()
                                     & (OrderModel.user_id == claim.user_id)
                                     & (OrderModel.status == claim.status)
                                     & (OrderModel.version == claim.version)))
            tx.save(model, condition=InvoiceModel.invoice_id.does_not_exist())
    except TransactWriteError as err:
        if lost_race(err):
            return False
        raise
    return True


def get_invoice(invoice_id: str) -> Invoice | None:
    return InvoiceModel.get_or_none(invoice_id, _to_invoice)


def list_for_user(user_id: str, limit: int,
                  after: dict | None) -> tuple[list[Invoice], dict | None]:
    """The user's invoices, newest first. `after` and the returned position are plain
    {invoice_id, user_id, created_at} texts: the last key of a page."""
    start = {name: {"S": value} for name, value in after.items()} if after else None
    page = InvoiceModel.by_user.query(user_id, scan_index_forward=False, limit=limit,
                                      last_evaluated_key=start)
    items = [_to_invoice(model) for model in page]
    last = page.last_evaluated_key
    return items, ({name: value["S"] for name, value in last.items()} if last else None)


def due_invoice_ids(now: str, shard: str, limit: int) -> list[str]:
    """Ids in the in-flight index whose next attempt is due (eventually consistent: callers
    re-read each item before acting)."""
    return [model.invoice_id for model in InvoiceModel.in_flight.query(
        shard, InvoiceModel.next_attempt_at <= now, limit=limit)]
