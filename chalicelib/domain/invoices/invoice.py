"""An invoice request as kept: what it covers, who buys and sells, where it is in its life
(domain/invoices/flow.py) and the work left on it (issuing, files, mail, reversal); and the
invoice as its driver reads it, with links to its files while they are valid."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.invoices.flow import InvoiceStatus
from chalicelib.domain.times import parse_iso


@dataclass(frozen=True)
class Invoice:
    id: str
    user_id: str
    created_at: str
    status: InvoiceStatus
    order_ids: tuple[str, ...]
    station_id: str
    email: str
    seller: dict
    buyer: dict
    lines: tuple[dict, ...]
    net_fen: int
    tax_fen: int
    total_fen: int
    issuer_serial: str
    remark: str = ""
    attempts: int = 0
    last_error: str | None = None
    number: str | None = None
    issued_at: str | None = None
    fail_code: str | None = None
    fail_reason: str | None = None
    pdf_key: str | None = None
    ofd_key: str | None = None
    mails_requested: int = 1
    mails_sent: int = 0
    mail_attempts: int = 0
    mail_claimed_until: str | None = None
    mail_sent_at: str | None = None
    mail_error: str | None = None
    reversal_requested_at: str | None = None
    reversal_serial: str | None = None
    reversal_attempts: int = 0
    reversal_number: str | None = None
    reversed_at: str | None = None
    reversal_failed_at: str | None = None
    reversal_error: str | None = None
    reversal_pdf_key: str | None = None
    reversal_ofd_key: str | None = None
    next_attempt_at: str | None = None

    @property
    def mail_due(self) -> bool:
        return self.mails_sent < self.mails_requested

    @property
    def reversal_due(self) -> bool:
        return bool(self.reversal_requested_at) and not self.reversal_failed_at


@dataclass(frozen=True)
class Reversal:
    """The red-letter invoice that cancelled an issued one."""
    number: str
    reversed_at: str | None = None


@dataclass(frozen=True)
class FileLinks:
    """Time-limited links to an issued invoice's files (the platform's PDF and OFD)."""
    pdf_url: str
    ofd_url: str | None
    expires_at: datetime


@dataclass(frozen=True)
class DriverInvoice:
    """An invoice as its driver reads it: the invoice's own fields read through, its buyer as
    the title the driver gave, and links to its files once they are stored. The invoice routes
    shape it into their answer (api/invoices.py InvoiceView)."""
    invoice: Invoice
    links: FileLinks | None = None

    def __getattr__(self, name: str):
        if name == "invoice":   # not set yet (copying): no field to read through
            raise AttributeError(name)
        return getattr(self.invoice, name)

    @property
    def title(self) -> dict:
        return self.invoice.buyer

    @property
    def created_at(self) -> datetime:
        return parse_iso(self.invoice.created_at)

    @property
    def pdf_url(self) -> str | None:
        return self.links.pdf_url if self.links else None

    @property
    def ofd_url(self) -> str | None:
        return self.links.ofd_url if self.links else None

    @property
    def pdf_url_expires_at(self) -> datetime | None:
        return self.links.expires_at if self.links else None

    @property
    def reversal(self) -> Reversal | None:
        if not self.invoice.reversal_number:
            return None
        return Reversal(self.invoice.reversal_number, self.invoice.reversed_at)


@dataclass(frozen=True)
class DriverInvoicePage:
    """A page of a driver's invoices, newest first, and where the next page starts."""
    items: list[DriverInvoice]
    next_cursor: str | None = None
