"""The files the issuer sandbox hands out for an invoice it issued (`pdfUrl`, `ofdUrl`), as the
platform does: a PDF drawn from the request it accepted, and an OFD (GB/T 33190: a zip holding
OFD.xml and the document) carrying the same number and amounts."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from decimal import Decimal
from xml.sax.saxutils import escape

CATEGORIES = (("1070101010", "汽油"), ("1070101030", "柴油"), ("601", "预付卡销售"))


def _fen(value, sign: int) -> int:
    return sign * int((Decimal(str(value or 0)) * 100).to_integral_value())


def _line(detail: dict, sign: int) -> dict:
    code = str(detail.get("goodsCode") or "")
    category = next((name for prefix, name in CATEGORIES if code.startswith(prefix)), "货物")
    num = detail.get("num") or None
    return {"category": category, "goods_name": detail.get("goodsName", ""), "tax_code": code,
            "unit": detail.get("unit") or "", "quantity": f"-{num}" if num and sign < 0 else num,
            "unit_price": detail.get("price") or None,
            "amount_fen": _fen(detail.get("taxIncludedAmount"), sign),
            "net_fen": _fen(detail.get("taxExcludedAmount"), sign),
            "tax_fen": _fen(detail.get("tax"), sign), "tax_rate": str(detail.get("taxRate")),
            "vat_exempt": detail.get("favouredPolicyFlag") == "04"}


def document(order: dict, number: str, issued_at_ms: int, original_number: str | None) -> dict:
    """The invoice as the platform prints it, from the requestBillingNew order it accepted."""
    sign = -1 if original_number else 1
    issued = datetime.fromtimestamp(issued_at_ms / 1000, timezone.utc)
    return {"number": number, "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seller": {"name": order.get("salerName") or order.get("salerTaxNum", ""),
                       "tax_id": order.get("salerTaxNum", "")},
            "buyer": {"name": order.get("buyerName", ""), "tax_id": order.get("buyerTaxNum")},
            "lines": [_line(detail, sign) for detail in order.get("invoiceDetail", [])],
            "remark": order.get("remark", ""), "clerk": order.get("clerk", ""),
            "original_number": original_number}


def render_pdf(doc: dict) -> bytes:
    from devstack.sandboxes.invoice_pdf import render_invoice_pdf

    return render_invoice_pdf(doc)


def render_ofd(doc: dict) -> bytes:
    total = sum(line["amount_fen"] for line in doc["lines"])
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"'
            f' Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
            f'<ofd:Title>{escape(doc["number"])}</ofd:Title>'
            f'<ofd:CustomDatas><ofd:CustomData Name="发票号码">{escape(doc["number"])}'
            f'</ofd:CustomData><ofd:CustomData Name="价税合计">{total / 100:.2f}</ofd:CustomData>'
            f'<ofd:CustomData Name="销售方">{escape(doc["seller"]["tax_id"])}</ofd:CustomData>'
            f'</ofd:CustomDatas></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
            f'</ofd:DocBody></ofd:OFD>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", body)
        archive.writestr("Doc_0/Document.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                         '<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>')
    return buffer.getvalue()
