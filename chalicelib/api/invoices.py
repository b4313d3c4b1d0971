"""A driver's VAT e-invoices: request one for fuelled orders, list, read, mail again."""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint, Response

from chalicelib.api.contract import one_of
from chalicelib.api.http import accepted, current_driver, json_object, route
from chalicelib.api.shapes import shaped
from chalicelib.domain.cursors import INVOICE_CURSOR_PATTERN
from chalicelib.domain.invoices.flow import InvoiceStatus

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)


def _text(limit: int):
    return Annotated[str, msgspec.Meta(max_length=limit)] | None


class InvoiceTitleBody(msgspec.Struct):
    """`{type: "personal", name}` or `{type: "company", name, tax_id, address?, phone?, bank?,
    account?}`; tax_id is the 18-character 统一社会信用代码 (its check character is verified)."""
    type: Literal["personal", "company"]
    name: _text(100) = None
    tax_id: _text(40) = None
    address: _text(80) = None
    phone: _text(20) = None
    bank: _text(60) = None
    account: _text(40) = None


OrderIds = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]],
                     msgspec.Meta(min_length=1, max_length=50,
                                  extra_json_schema={"uniqueItems": True})]


class InvoiceRequest(msgspec.Struct, forbid_unknown_fields=True):
    order_ids: OrderIds   # 1 to 50 of the driver's own fuelled orders, each once
    title: InvoiceTitleBody
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]


class InvoiceListQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    # next_cursor of the previous page, passed back unchanged
    cursor: Annotated[str, msgspec.Meta(pattern=INVOICE_CURSOR_PATTERN)] | None = None


# The buyer (the title the driver gave) or the seller: only the fields it has are answered, as
# they were stored (omit_defaults), never a null for an absent one.
class InvoiceParty(msgspec.Struct, omit_defaults=True):
    name: str
    tax_id: str | None = None
    type: str | None = None
    address: str | None = None
    phone: str | None = None
    bank: str | None = None
    account: str | None = None


class InvoiceLineView(msgspec.Struct):
    name: str
    category: str
    goods_name: str
    tax_code: str
    unit: str
    quantity: str | None
    unit_price: str | None
    amount_fen: int
    net_fen: int
    tax_fen: int
    tax_rate: str
    rate_label: str
    vat_exempt: bool = False


class InvoiceReversal(msgspec.Struct):
    number: str
    reversed_at: str | None = None


class InvoiceView(msgspec.Struct):
    id: str
    status: one_of(InvoiceStatus)
    order_ids: list[str]
    station_id: str
    title: InvoiceParty
    email: str
    seller: InvoiceParty
    lines: list[InvoiceLineView]
    net_fen: int
    tax_fen: int
    total_fen: int
    created_at: str
    number: str | None = None
    issued_at: str | None = None
    pdf_url: str | None = None   # the platform's PDF, presigned, time-limited
    ofd_url: str | None = None   # the platform's OFD, the same way
    pdf_url_expires_at: str | None = None
    fail_code: str | None = None
    fail_reason: str | None = None
    reversal: InvoiceReversal | None = None


class InvoicePage(msgspec.Struct):
    items: list[InvoiceView]
    next_cursor: str | None = None


_REQUEST_ERRORS = {
    400: ("ORDER_IDS_REQUIRED", "TOO_MANY_ORDERS", "INVALID_ORDER_ID", "DUPLICATE_ORDER_IDS",
          "INVALID_TITLE_TYPE", "TITLE_NAME_REQUIRED", "TAX_ID_REQUIRED", "INVALID_TAX_ID",
          "INVALID_TITLE_FIELD", "TITLE_FIELD_TOO_LONG", "INVALID_TITLE_PHONE",
          "INVALID_TITLE_ACCOUNT", "INVALID_EMAIL"),
    404: ("ORDER_NOT_FOUND",), 409: ("ORDER_CHANGED",),
    422: ("ALREADY_INVOICED", "ORDER_NOT_FUELLED", "ORDER_FULLY_REFUNDED",
          "PAID_FROM_INVOICED_BALANCE", "REFUND_PENDING", "MIXED_SELLERS",
          "SELLER_NOT_INVOICING", "GRADE_NOT_INVOICEABLE"),
}


@route(bp, "/v1/invoices", methods=["POST"], auth="driver", body=InvoiceRequest,
       ok=InvoiceView, status=202, errors=_REQUEST_ERRORS,
       summary="Request a VAT e-invoice for fuelled orders; issued and mailed shortly after")
def request_invoice(body: InvoiceRequest):
    from chalicelib.services.invoices import requests as invoices

    driver = current_driver(bp.current_request)
    title = {k: v for k, v in msgspec.structs.asdict(body.title).items() if v is not None}
    return accepted(shaped(invoices.request_invoice(driver.subject, body.order_ids, title,
                                                    body.email), InvoiceView))


@route(bp, "/v1/invoices", methods=["GET"], auth="driver", query=InvoiceListQuery,
       ok=InvoicePage, errors={400: ("INVALID_CURSOR",)},
       summary="The driver's invoices, newest first")
def list_invoices(query: InvoiceListQuery):
    from chalicelib.services.invoices import requests as invoices

    driver = current_driver(bp.current_request)
    return shaped(invoices.list_invoices(driver.subject, query.limit, query.cursor), InvoicePage)


@route(bp, "/v1/invoices/{invoice_id}", methods=["GET"], auth="driver", ok=InvoiceView,
       errors={404: ("INVOICE_NOT_FOUND",)}, summary="One of the driver's invoices")
def get_invoice(invoice_id: str):
    from chalicelib.services.invoices import requests as invoices

    driver = current_driver(bp.current_request)
    return shaped(invoices.get_invoice(driver.subject, invoice_id), InvoiceView)


@route(bp, "/v1/invoices/{invoice_id}/resend", methods=["POST"], auth="driver", ok=InvoiceView,
       status=202, errors={400: ("INVALID_EMAIL", "MALFORMED_JSON", "BODY_NOT_OBJECT"),
                           404: ("INVOICE_NOT_FOUND",), 409: ("INVOICE_NOT_ISSUED",),
                           429: ("RESEND_LIMIT",)},
       summary="Mail an issued invoice again, optionally to a new address (body {email?})")
def resend_invoice(invoice_id: str):
    from chalicelib.services.invoices import requests as invoices

    request = bp.current_request
    driver = current_driver(request)
    email = json_object(request).get("email") if (request.raw_body or b"").strip() else None
    return accepted(shaped(invoices.resend_invoice(driver.subject, invoice_id, email), InvoiceView))


@route(bp, "/v1/invoice-files/{token}", methods=["GET"], status=302,
       errors={403: ("INVALID_LINK", "LINK_EXPIRED")},
       path_schemas={"token": {"type": "string", "pattern": "^[0-9A-Za-z._-]{1,2048}$"}},
       summary="A mailed invoice download link: redirects to the file for a short while")
def download_invoice_file(token: str):
    """The link in an invoice mail. A valid token (signed by us, expiring) is answered with a
    302 to a freshly presigned URL of the file; a forged or expired one with a 403."""
    from chalicelib.services.invoices.links import resolve

    return Response(body="", status_code=302,
                    headers={"Location": resolve(token), "Cache-Control": "no-store"})
