"""Red-letter (红字) reversal of an issued invoice after a refund of an order on it.

The red invoice gets its own files and its own mail to the buyer (services/invoices/delivery.py).
The application serial is stored before the first submission (services/invoices/requests.py sets it when
the refund asks for the reversal), so resubmitting is a duplicate at the issuer, never a second
red invoice; only an application the issuer refused gets a new serial.
"""
from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.invoices import flow
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.providers.invoice_issuer import InvoiceIssuerError, InvoiceNotSubmitted, \
    get_invoice_issuer
from chalicelib.services.invoices.delivery import put_files
from chalicelib.store.invoices import moves

REASON = "SALES_RETURN"


def reverse(invoice: Invoice) -> None:
    if invoice.reversal_attempts >= flow.MAX_REVERSAL_ATTEMPTS:
        moves.reversal_failed(invoice.id, times.iso_z(times.now(), micro=True),
                              invoice.reversal_error or "gave up")
        get_logger().error("invoice reversal gave up", extra={
            "invoice_id": invoice.id, "error": invoice.reversal_error})
        return
    issuer = get_invoice_issuer()
    serial = invoice.reversal_serial
    try:
        try:
            result = issuer.query_red_letter(serial)
        except InvoiceNotSubmitted:
            issuer.submit_red_letter(serial, invoice.number, REASON, seller=invoice.seller,
                                     buyer=invoice.buyer)
            result = issuer.query_red_letter(serial)
        # The red invoice's own files, copied before the write that records it, as for a blue one.
        files = put_files(invoice.id, result.number, result) if result.status == "ISSUED" \
            else (None, None)
    except InvoiceIssuerError as err:
        _later(invoice, str(err))
        return
    if result.status == "ISSUED":
        now = times.iso_z(times.now(), micro=True)
        if moves.mark_reversed(invoice, result.number, result.issued_at or now, now, *files):
            get_logger().info("invoice reversed", extra={"invoice_id": invoice.id,
                                                         "reversal_number": result.number})
    elif result.status == "FAILED":
        # The application was refused and issued nothing: apply anew under a fresh serial.
        _later(invoice, result.fail_reason,
               new_serial=flow.reversal_serial(invoice.id, invoice.reversal_attempts + 2))
    else:
        _later(invoice, None)


def _later(invoice: Invoice, error: str | None, new_serial: str | None = None) -> None:
    attempts = invoice.reversal_attempts + 1
    next_at = times.iso_z(times.now() + timedelta(seconds=flow.backoff_s(attempts)), micro=True)
    moves.record_reversal_attempt(invoice.id, invoice.reversal_attempts, next_at, error,
                                  new_serial)
