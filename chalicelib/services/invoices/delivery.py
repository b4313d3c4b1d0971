"""Getting an issued invoice to the driver: its PDF in private storage, and mail with a link.

Mail is sent at most once per request: a conditional claim on the invoice goes first, so two
workers (or a redelivered message) cannot both send; the mail's Message-ID is stable, so even the
one unavoidable repeat (a crash between the SMTP server's acceptance and our record of it) can
be recognised by the receiving side.
"""
from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.invoices import flow
from chalicelib.domain.money import yuan_text
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.providers import storage
from chalicelib.settings import get_settings
from chalicelib.store.invoices import moves
from chalicelib.store.invoices import invoices as store


def pdf_document(invoice: store.Invoice) -> dict:
    return {"number": invoice.number, "issued_at": invoice.issued_at, "seller": invoice.seller,
            "buyer": invoice.buyer, "lines": list(invoice.lines), "remark": invoice.remark}


def put_pdf(invoice: store.Invoice, number: str, issued_at: str) -> str:
    """Render the PDF of the invoice under `number` and keep it privately; returns its key.
    Storing twice writes the same key, harmlessly."""
    from chalicelib.providers.invoice_pdf import render_invoice_pdf

    pdf = render_invoice_pdf({**pdf_document(invoice), "number": number, "issued_at": issued_at})
    key = f"invoices/{invoice.id}/{number}.pdf"
    storage.put_pdf(key, pdf, f"{number}.pdf")
    return key


def store_pdf(invoice: store.Invoice) -> store.Invoice | None:
    """The PDF of an invoice recorded ISSUED without one; None if another worker recorded it."""
    return moves.set_pdf_key(invoice.id, put_pdf(invoice, invoice.number, invoice.issued_at))


def compose(invoice: store.Invoice, link: str, ttl_s: int) -> tuple[str, str]:
    """Subject and plain-text body: the number, what it covers, and the download link."""
    days = max(ttl_s // 86400, 1)
    subject = f"电子发票 {invoice.number}（{invoice.seller['name']}）"
    text = "\n".join([
        f"{invoice.buyer['name']}，您好：",
        "",
        f"您在{invoice.remark or invoice.seller['name']}加油的电子发票已开具。",
        f"发票号码：{invoice.number}",
        f"销售方：{invoice.seller['name']}",
        f"价税合计：￥{yuan_text(invoice.total_fen)}"
        f"（金额 ￥{yuan_text(invoice.net_fen)}，税额 ￥{yuan_text(invoice.tax_fen)}）",
        "",
        f"下载 PDF（{days} 天内有效，过期后可在小程序中重新发送）：",
        link,
        "",
        "Your VAT e-invoice has been issued. Invoice number: " + invoice.number,
        "Download the PDF: " + link,
    ])
    return subject, text


def send_mail(invoice: store.Invoice, now) -> store.Invoice | None:
    """Send the mail that is due, if this caller wins the claim on it. Returns the invoice as
    left by this attempt, or None when another caller holds or finished the mail."""
    from chalicelib.providers.mail import MailError, build_message, send_mail as smtp_send

    sent = invoice.mails_sent
    until = times.iso_z(now + timedelta(seconds=flow.MAIL_LEASE_S), micro=True)
    claimed = moves.claim_mail(invoice.id, sent, times.iso_z(now, micro=True), until)
    if claimed is None:
        return None   # sent already, or another worker holds the claim
    ttl = get_settings().invoice_mail_link_ttl_s
    subject, text = compose(claimed, storage.presigned_get(claimed.pdf_key, ttl), ttl)
    sender = get_settings().mail_sender
    message = build_message(claimed.email, subject, text, sender=sender,
                            message_id=f"<{invoice.id}.{sent + 1}@{sender.rpartition('@')[2]}>")
    try:
        smtp_send(message)
    except MailError as err:
        attempts = invoice.mail_attempts + 1
        give_up = not err.retryable or attempts >= flow.MAX_MAIL_ATTEMPTS
        next_at = None if give_up else times.iso_z(
            now + timedelta(seconds=flow.backoff_s(attempts)), micro=True)
        log = get_logger().error if give_up else get_logger().warning
        log("invoice mail not sent", extra={"invoice_id": invoice.id, "error": str(err),
                                            "gave_up": give_up})
        return moves.mail_not_sent(invoice.id, sent, str(err), next_at)
    get_logger().info("invoice mailed", extra={"invoice_id": invoice.id, "mail": sent + 1})
    return moves.mark_mail_sent(invoice.id, sent, times.iso_z(now, micro=True))
