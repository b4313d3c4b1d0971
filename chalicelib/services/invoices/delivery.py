"""Getting an issued (or reversed) invoice to the driver: the platform's own files (PDF and OFD,
the invoice a company books) copied into private storage, and mail with links to them.

The files are downloaded from the URLs the issuer's result carries as soon as it is issued:
those URLs are the platform's and may not last. Mail is sent at most once per request: a
conditional claim on the invoice goes first, so two workers (or a redelivered message) cannot
both send; the mail's Message-ID is stable, so even the one unavoidable repeat (a crash between
the SMTP server's acceptance and our record of it) can be recognised by the receiving side.
"""
from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.invoices import flow
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.money import yuan_text
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.providers import storage
from chalicelib.providers.invoice_issuer import (IssueResult, InvoiceIssuerRetryableError,
                                                 get_invoice_issuer)
from chalicelib.services.invoices.links import file_link
from chalicelib.settings import get_settings
from chalicelib.store.invoices import moves


def put_files(invoice_id: str, number: str, result: IssueResult) -> tuple[str, str | None]:
    """Copy the platform's files of the invoice `number` into storage; (pdf key, ofd key).
    Storing twice writes the same keys, harmlessly. Raises a retryable issuer error when the
    result carries no PDF yet or a download fails."""
    if not result.pdf_url:
        raise InvoiceIssuerRetryableError(f"invoice {number} issued without its files yet",
                                          code="NO_FILES")
    issuer = get_invoice_issuer()
    keys = []
    for kind, url in (("pdf", result.pdf_url), ("ofd", result.ofd_url)):
        if not url:
            keys.append(None)
            continue
        key = f"invoices/{invoice_id}/{number}.{kind}"
        storage.put_file(key, issuer.download(url), f"{number}.{kind}")
        keys.append(key)
    return keys[0], keys[1]


def store_files(invoice: Invoice) -> Invoice | None:
    """The files of an invoice recorded ISSUED without them (their download failed then): ask
    the issuer for its result again and copy them; None if another worker recorded them."""
    result = get_invoice_issuer().query(invoice.issuer_serial)
    pdf_key, ofd_key = put_files(invoice.id, invoice.number, result)
    return moves.set_files(invoice.id, pdf_key, ofd_key)


def _links(keys, ttl: int) -> list[str]:
    return [file_link(key, ttl) for key in keys if key]


def compose(invoice: Invoice, ttl_s: int) -> tuple[str, str]:
    """Subject and plain-text body: the number, what it covers, and links to the files; for a
    reversed invoice, the red-letter invoice that cancelled it and its files."""
    days = max(ttl_s // 86400, 1)
    seller = invoice.seller["name"]
    if invoice.status == flow.REVERSED:
        pdf, ofd = _links((invoice.reversal_pdf_key,), ttl_s), _links((invoice.reversal_ofd_key,),
                                                                      ttl_s)
        number = invoice.reversal_number
        subject = f"红字电子发票 {number}（{seller}）"
        intro = [f"因退款，您的电子发票 {invoice.number} 已全额冲红，红字发票已开具。",
                 f"红字发票号码：{number}", f"被冲红发票号码：{invoice.number}",
                 f"销售方：{seller}", f"价税合计：-￥{yuan_text(invoice.total_fen)}"]
        english = f"Your VAT e-invoice {invoice.number} was cancelled by red-letter invoice {number}."
    else:
        pdf, ofd = _links((invoice.pdf_key,), ttl_s), _links((invoice.ofd_key,), ttl_s)
        number = invoice.number
        subject = f"电子发票 {number}（{seller}）"
        intro = [f"您在{invoice.remark or seller}加油的电子发票已开具。", f"发票号码：{number}",
                 f"销售方：{seller}",
                 f"价税合计：￥{yuan_text(invoice.total_fen)}"
                 f"（金额 ￥{yuan_text(invoice.net_fen)}，税额 ￥{yuan_text(invoice.tax_fen)}）"]
        english = f"Your VAT e-invoice has been issued. Invoice number: {number}"
    text = [f"{invoice.buyer['name']}，您好：", "", *intro, "",
            f"下载发票 PDF（{days} 天内有效，过期后可在小程序中重新发送）：", *pdf]
    if ofd:
        text += ["下载发票 OFD：", *ofd]
    text += ["", english, "Download the PDF: " + (pdf[0] if pdf else "")]
    return subject, "\n".join(text)


def mail_lease_until(now) -> str:
    """Until when a claim taken now on a mail holds (the sender's lease)."""
    return times.iso_z(now + timedelta(seconds=flow.MAIL_LEASE_S), micro=True)


def send_mail(invoice: Invoice, now) -> Invoice | None:
    """Send the mail that is due, if this caller wins the claim on it. Returns the invoice as
    left by this attempt, or None when another caller holds or finished the mail."""
    claimed = moves.claim_mail(invoice.id, invoice.mails_sent, times.iso_z(now, micro=True),
                               mail_lease_until(now))
    if claimed is None:
        return None   # sent already, or another worker holds the claim
    return send_claimed(claimed, now)


def send_claimed(claimed: Invoice, now, *, group=None) -> Invoice | None:
    """Send the mail due on an invoice whose claim this caller holds (`claimed` is the invoice
    as the claiming write left it), and record the outcome, which gives the claim back (with
    `group`, a sent mail's record is committed with the batch's others)."""
    from chalicelib.providers.mail import MailError, build_message, send_mail as smtp_send

    sent = claimed.mails_sent
    subject, text = compose(claimed, get_settings().invoice_mail_link_ttl_s)
    sender = get_settings().mail_sender
    message = build_message(claimed.email, subject, text, sender=sender,
                            message_id=f"<{claimed.id}.{sent + 1}@{sender.rpartition('@')[2]}>")
    try:
        smtp_send(message)
    except MailError as err:
        attempts = claimed.mail_attempts   # the claim counted this attempt
        give_up = not err.retryable or attempts >= flow.MAX_MAIL_ATTEMPTS
        next_at = None if give_up else times.iso_z(
            now + timedelta(seconds=flow.backoff_s(attempts)), micro=True)
        log = get_logger().error if give_up else get_logger().warning
        log("invoice mail not sent", extra={"invoice_id": claimed.id, "error": str(err),
                                            "gave_up": give_up})
        return moves.mail_not_sent(claimed.id, sent, str(err), next_at)
    get_logger().info("invoice mailed", extra={"invoice_id": claimed.id, "mail": sent + 1})
    return moves.mark_mail_sent(claimed.id, sent, times.iso_z(now, micro=True), group=group,
                                claimed=claimed)
