"""Use cases of e-invoices a driver sees: request one, list and read them, have one mailed again,
and the reversal a refund sets off. The work (issuing, PDF, mail) runs off the request path in
services/invoices/work.py, fed by the invoice queue.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from chalicelib.domain.invoices import flow
from chalicelib.domain.invoices.invoice import (DriverInvoice, DriverInvoicePage, FileLinks,
                                               Invoice)
from chalicelib.domain.cursors import INVOICE_CURSOR_PATTERN
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, RateLimited, RuleViolation
from chalicelib.domain.invoices.lines import Fill, build_lines, invoice_totals
from chalicelib.domain.invoices.title import parse_title, validate_email
from chalicelib.domain.orders.orders import FUELLED, PARTIALLY_REFUNDED, REFUNDED, WALLET
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.settings import get_settings
from chalicelib.store.invoices import moves
from chalicelib.store.invoices import invoices as store
from chalicelib.store.stations.stations import get_station

CURSOR = re.compile(INVOICE_CURSOR_PATTERN)
# Orders a driver may put on an invoice: fuelled, possibly refunded in part since.
INVOICEABLE_STATUSES = (FUELLED, PARTIALLY_REFUNDED)
BALANCE_PAY_METHODS = ("balance", WALLET)


def invoiceable_fen(order: store.OrderClaim) -> int:
    """What the driver finally paid: the payment less the refunds that went back (including the
    difference refunded when a prepaid fill was confirmed at a lower amount)."""
    return order.pay_amount_fen - order.refunded_fen


def _order_ids(value) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("order_ids must list at least one order", code="ORDER_IDS_REQUIRED",
                           field="order_ids")
    if len(value) > flow.MAX_ORDERS:
        raise InvalidInput(f"an invoice covers at most {flow.MAX_ORDERS} orders",
                           code="TOO_MANY_ORDERS", field="order_ids")
    if not all(isinstance(i, str) and 0 < len(i) <= 64 for i in value):
        raise InvalidInput("order_ids must be order ids", code="INVALID_ORDER_ID",
                           field="order_ids")
    if len(set(value)) != len(value):
        raise InvalidInput("order_ids lists an order twice", code="DUPLICATE_ORDER_IDS",
                           field="order_ids")
    return list(value)


def _check_order(order: store.OrderClaim | None, order_id: str, user_id: str) -> None:
    def refuse(code: str, why: str):
        return RuleViolation(f"order {order_id} {why}", code=code, field="order_ids")

    if order is None or order.user_id != user_id:
        raise NotFound(f"order {order_id} does not exist", code="ORDER_NOT_FOUND",
                       field="order_ids")
    if order.invoice_id:
        raise refuse("ALREADY_INVOICED", "is already on an invoice")
    if order.pay_method in BALANCE_PAY_METHODS:
        raise refuse("PAID_FROM_INVOICED_BALANCE", "was paid from a balance invoiced at top-up")
    if order.status == REFUNDED or (order.fuelled and invoiceable_fen(order) <= 0):
        raise refuse("ORDER_FULLY_REFUNDED", "was refunded in full")
    if order.status not in INVOICEABLE_STATUSES or not order.fuelled:
        raise refuse("ORDER_NOT_FUELLED", "is not fuelled yet")
    if order.refund_reserved_fen != order.refunded_fen:
        # Until the refund settles, what the driver finally paid is not known.
        raise refuse("REFUND_PENDING", "has a refund in progress; try again shortly")


def _seller(station_ids: set[str]) -> tuple[dict, str]:
    """The seller is the payee of the orders' station, with the tax id configured for it."""
    stations = [get_station(station_id) for station_id in sorted(station_ids)]
    if any(station is None for station in stations):
        raise RuleViolation("the station of an order no longer issues invoices",
                            code="SELLER_NOT_INVOICING", field="order_ids")
    if len({station.payee for station in stations}) > 1:
        raise RuleViolation("the orders were paid to different companies: request one invoice "
                            "per company", code="MIXED_SELLERS", field="order_ids")
    payee = stations[0].payee
    tax_id = get_settings().seller_tax_id(payee)
    if not tax_id:
        raise RuleViolation("this station does not issue e-invoices in the app yet",
                            code="SELLER_NOT_INVOICING", field="order_ids")
    return {"name": payee, "tax_id": tax_id}, stations[0].name


def request_invoice(user_id: str, order_ids, title, email) -> DriverInvoice:
    """Create the invoice (REQUESTED) and reserve its orders in one transaction; issue later."""
    order_ids = _order_ids(order_ids)
    orders = store.read_orders(order_ids)
    for order_id in order_ids:   # first: whatever else is wrong, a stranger's order is a 404
        _check_order(orders.get(order_id), order_id, user_id)
    buyer = parse_title(title)
    address = validate_email(email)
    claims = [orders[order_id] for order_id in order_ids]
    seller, station_name = _seller({claim.station_id for claim in claims})
    try:
        lines = build_lines(Fill(c.grade, c.liters_ml, invoiceable_fen(c)) for c in claims)
    except InvalidInput as err:   # a grade with no refined-oil line: not the caller's input
        raise RuleViolation(err.message, code="GRADE_NOT_INVOICEABLE", field="order_ids") from err
    totals = invoice_totals(lines)
    now = times.now()
    invoice_id = f"inv_{uuid.uuid4().hex}"
    invoice = Invoice(
        id=invoice_id, user_id=user_id, created_at=times.iso_z(now, micro=True), status=flow.REQUESTED,
        order_ids=tuple(order_ids), station_id=claims[0].station_id, email=address,
        seller=seller, buyer=buyer.to_dict(), lines=tuple(line.to_dict() for line in lines),
        remark=station_name, net_fen=totals.net_fen, tax_fen=totals.tax_fen,
        total_fen=totals.total_fen, issuer_serial=flow.issuer_serial(invoice_id))
    due = times.iso_z(now + timedelta(seconds=flow.REDRIVE_AFTER_S), micro=True)
    if not store.create_invoice(invoice, claims, due):
        _explain_lost_reservation(order_ids, user_id)
    enqueue(invoice_id, fresh=True)
    get_logger().info("invoice requested", extra={"invoice_id": invoice_id,
                                                  "orders": len(order_ids)})
    return driver_invoice(invoice)


def _explain_lost_reservation(order_ids: list[str], user_id: str):
    """The transaction found an order changed since it was read: say what changed."""
    orders = store.read_orders(order_ids)
    for order_id in order_ids:
        _check_order(orders.get(order_id), order_id, user_id)
    raise Conflict("an order changed while the invoice was being created; try again",
                   code="ORDER_CHANGED", field="order_ids")


def enqueue(invoice_id: str, *, fresh: bool = False) -> None:
    """Hand the invoice to the worker (`fresh`: it was just created, see jobs.messages). If the
    queue cannot be reached the invoice stays REQUESTED, and the sweeper re-drives it a few
    minutes later: nothing is lost."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.providers.queues import send_invoice_message

    try:
        send_invoice_message({"invoice_id": invoice_id, **({"fresh": True} if fresh else {})})
    except (BotoCoreError, ClientError):
        get_logger().warning("invoice not queued; the sweeper will re-drive it",
                             extra={"invoice_id": invoice_id}, exc_info=True)


def _own(user_id: str, invoice_id: str) -> Invoice:
    invoice = store.get_invoice(invoice_id) if len(invoice_id) <= 64 else None
    if invoice is None or invoice.user_id != user_id:
        raise NotFound("no such invoice", code="INVOICE_NOT_FOUND")
    return invoice


def get_invoice(user_id: str, invoice_id: str) -> DriverInvoice:
    return driver_invoice(_own(user_id, invoice_id))


def list_invoices(user_id: str, limit: int, cursor: str | None) -> DriverInvoicePage:
    """Newest first. The cursor is the position after the last invoice of the page, as
    `<created_at>~<invoice_id>`: every text of that shape is a position, so the API can describe
    valid cursors exactly (INVOICE_CURSOR_PATTERN); the user always comes from the token."""
    after = None
    if cursor:
        if not CURSOR.search(cursor):   # the schema's (JSON Schema) reading of the pattern
            raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                               field="cursor")
        created_at, _, invoice_id = cursor.rstrip("\n").partition("~")
        after = {"invoice_id": invoice_id, "user_id": user_id, "created_at": created_at}
    items, last = store.list_for_user(user_id, limit, after)
    return DriverInvoicePage([driver_invoice(item) for item in items],
                             f"{last['created_at']}~{last['invoice_id']}" if last else None)


def resend_invoice(user_id: str, invoice_id: str, email=None) -> DriverInvoice:
    """Mail the invoice again (to a new address if given); 202, the worker sends it."""
    invoice = _own(user_id, invoice_id)
    address = validate_email(email) if email is not None else invoice.email
    if invoice.status != flow.ISSUED:
        raise Conflict("only an issued invoice can be mailed", code="INVOICE_NOT_ISSUED")
    if not moves.request_mail(invoice_id, user_id, address, times.iso_z(times.now(), micro=True),
                              flow.MAX_MAILS):
        invoice = _own(user_id, invoice_id)
        if invoice.status != flow.ISSUED:
            raise Conflict("only an issued invoice can be mailed", code="INVOICE_NOT_ISSUED")
        if not invoice.mail_due:   # not already waiting to go out: the limit is reached
            raise RateLimited(f"an invoice is mailed at most {flow.MAX_MAILS} times",
                              code="RESEND_LIMIT")
    enqueue(invoice_id)
    return driver_invoice(_own(user_id, invoice_id))


def on_order_refunded(order_id: str, *, refunded_at: datetime | None = None) -> str:
    """A refund of an invoiced order reverses its invoice (red letter, in the worker); an
    invoice not yet submitted is simply cancelled. An invoice requested after the refund
    finished (`refunded_at`: a repeated notification of an old refund) invoiced only what was
    left, and stays. Returns what was done, for the log."""
    for _ in range(3):   # each pass acts on the state it read; a lost race reads again
        invoice_id = store.invoice_id_of_order(order_id)
        invoice = store.get_invoice(invoice_id) if invoice_id else None
        if invoice is None or invoice.status in flow.RELEASES_ORDERS:
            return "nothing"
        if refunded_at is not None and times.parse_iso(invoice.created_at) > refunded_at:
            return "invoice requested after the refund"
        if invoice.reversal_requested_at:
            return "reversal already requested"
        if invoice.status == flow.REQUESTED:
            if moves.mark_failed(invoice, "ORDER_REFUNDED", f"order {order_id} was refunded "
                                 "before the invoice was issued", release_orders=True):
                return "cancelled"
        elif moves.request_reversal(invoice.id, flow.reversal_serial(invoice.id),
                                    times.iso_z(times.now(), micro=True)):
            enqueue(invoice.id)
            get_logger().info("invoice reversal requested",
                              extra={"invoice_id": invoice.id, "order_id": order_id})
            return "reversal requested"
    raise Conflict("the invoice kept changing; try again", code="INVOICE_BUSY")


def driver_invoice(invoice: Invoice) -> DriverInvoice:
    """The invoice as its driver reads it, with fresh presigned links once its files are stored."""
    if not invoice.pdf_key:
        return DriverInvoice(invoice)
    from chalicelib.providers.storage import presigned_get

    ttl = get_settings().invoice_pdf_url_ttl_s
    return DriverInvoice(invoice, FileLinks(
        pdf_url=presigned_get(invoice.pdf_key, ttl),
        ofd_url=presigned_get(invoice.ofd_key, ttl) if invoice.ofd_key else None,
        expires_at=times.now() + timedelta(seconds=ttl)))
