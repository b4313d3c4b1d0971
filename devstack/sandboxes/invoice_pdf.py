"""The issuer sandbox's PDF of an invoice it issued: standing for the platform's own file (in
production the platform renders it and we only copy it; this never ships in a Lambda).

Laid out like a 数电普票: number and date, buyer and seller, one row per line with the
tax-exclusive unit price and amount, totals in figures and in capitals. Chinese text uses
reportlab's built-in CID font STSong-Light (the reader supplies the glyphs, nothing is
downloaded or embedded); the number is drawn in Helvetica and set as the document title, so
it appears as plain text in the file. reportlab is imported inside the function: it is heavy.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache

from chalicelib.domain.times import SHANGHAI, now, parse_iso
from chalicelib.domain.invoices.lines import (
    InvoiceLine, amount_in_words, invoice_totals, unit_price)
from chalicelib.domain.money import yuan_text

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
TITLE = "电子发票（普通发票）"
ROWS_PER_PAGE = 8
# Columns: label, left and right edge in mm, and whether it is text (left-aligned) or a figure.
_COLUMNS = [("项目名称", 12, 62, True), ("规格型号", 63, 80, True), ("单位", 81, 90, True),
            ("数量", 91, 112, False), ("单价", 113, 138, False), ("金额", 139, 160, False),
            ("税率/征收率", 162, 178, True), ("税额", 179, 198, False)]
_NET_RIGHT, _TAX_RIGHT = 160, 198
# Helvetica covers ASCII and the yuan sign; everything else goes to the CJK font.
_LATIN = re.compile(r"[\x00-\x7f\u00a5]")
_LATIN_OR_NOT = re.compile(r"[\x00-\x7f\u00a5]+|[^\x00-\x7f\u00a5]+")


def _china_date(iso: str | None) -> str:
    moment = parse_iso(iso) if iso else now()
    return moment.astimezone(SHANGHAI).strftime("%Y年%m月%d日")


def _row(line: InvoiceLine) -> list[str]:
    # The printed invoice shows prices and amounts without tax; the tax has its own column.
    price = unit_price(line.net_fen, line.quantity) if line.quantity else ""
    return [line.name, "", line.unit, line.quantity or "", price, yuan_text(line.net_fen),
            line.rate_label, yuan_text(line.tax_fen)]


# The labels and most figures recur from invoice to invoice: their runs and widths are
# remembered (pure functions of the text, font and size).
@lru_cache(maxsize=4096)
def _runs(text: str) -> tuple[tuple[str, str], ...]:
    """(font, run) pieces: Latin runs in Helvetica, so digits and codes are plain text."""
    return tuple((LATIN_FONT if _LATIN.match(run) else CJK_FONT, run)
                 for run in _LATIN_OR_NOT.findall(text))


@lru_cache(maxsize=8192)
def _run_width(run: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(run, font, size)


def _width(text: str, size: float) -> float:
    return sum(_run_width(run, font, size) for font, run in _runs(text))


def _draw(page, x: float, y: float, text: str, size: float = 8, *, right: bool = False,
          fit: float | None = None) -> None:
    """Draw text at (x, y) into the page's text object, right-aligned if asked, shrunk (down to
    5 pt) to fit a width."""
    while fit and size > 5 and _width(text, size) > fit:
        size -= 0.5
    if right:
        x -= _width(text, size)
    for font, run in _runs(text):
        page.setFont(font, size)
        page.setTextOrigin(x, y)
        page.textOut(run)
        x += _run_width(run, font, size)


def _draw_page(canvas, invoice: dict, rows: list[list[str]], mm: float, height: float) -> float:
    canvas.setFillColorRGB(0.55, 0.2, 0.1)
    canvas.setFont(CJK_FONT, 16)
    canvas.drawCentredString(95 * mm, height - 16 * mm,
                             TITLE + ("（红字）" if invoice.get("original_number") else ""))
    canvas.setFillColorRGB(0, 0, 0)
    page = canvas.beginText()   # one text object for the page's text, drawn at its end
    _draw(page, 142 * mm, height - 12 * mm, f"发票号码：{invoice['number']}", 9)
    _draw(page, 142 * mm, height - 18 * mm, f"开票日期：{_china_date(invoice.get('issued_at'))}", 9)
    top = height - 24 * mm
    canvas.rect(10 * mm, top - 22 * mm, 190 * mm, 22 * mm)
    canvas.line(105 * mm, top, 105 * mm, top - 22 * mm)
    for x, label, party in ((12, "购买方信息", invoice["buyer"]), (107, "销售方信息", invoice["seller"])):
        _draw(page, x * mm, top - 6 * mm, label, 9)
        _draw(page, x * mm, top - 12 * mm, f"名称：{party['name']}", 9, fit=90 * mm)
        _draw(page, x * mm, top - 18 * mm,
              f"统一社会信用代码/纳税人识别号：{party.get('tax_id') or ''}", 8, fit=90 * mm)
    y = top - 28 * mm
    for label, left, right, is_text in _COLUMNS:
        _draw(page, (left if is_text else right) * mm, y, label, right=not is_text)
    canvas.line(10 * mm, y - 2 * mm, 200 * mm, y - 2 * mm)
    for row in rows:
        y -= 6 * mm
        for text, (_, left, right, is_text) in zip(row, _COLUMNS):
            _draw(page, (left if is_text else right) * mm, y, text, right=not is_text,
                  fit=(right - left) * mm)
    return y, page


def _draw_totals(canvas, page, invoice: dict, totals, y: float, mm: float) -> None:
    y -= 9 * mm
    canvas.line(10 * mm, y + 5 * mm, 200 * mm, y + 5 * mm)
    _draw(page, 12 * mm, y, "合    计", 9)
    _draw(page, _NET_RIGHT * mm, y, "\u00a5" + yuan_text(totals.net_fen), 9, right=True)
    _draw(page, _TAX_RIGHT * mm, y, "\u00a5" + yuan_text(totals.tax_fen), 9, right=True)
    y -= 8 * mm
    _draw(page, 12 * mm, y, f"价税合计（大写）  {amount_in_words(totals.total_fen)}", 9)
    _draw(page, 150 * mm, y, f"（小写）\u00a5{yuan_text(totals.total_fen)}", 9)
    canvas.line(10 * mm, y - 3 * mm, 200 * mm, y - 3 * mm)
    remark = invoice.get("remark") or ""
    if invoice.get("original_number"):
        remark = f"被红冲蓝字数电发票号码：{invoice['original_number']} {remark}".strip()
    _draw(page, 12 * mm, y - 9 * mm, f"备注：{remark}", fit=186 * mm)
    _draw(page, 12 * mm, y - 16 * mm, f"开票人：{invoice.get('clerk') or ''}")


def render_invoice_pdf(invoice: dict) -> bytes:
    """A PDF of {number, issued_at, seller{name, tax_id}, buyer{name, tax_id?}, lines,
    remark?, clerk?, original_number?}; lines are InvoiceLines or their dicts. A red-letter copy
    has original_number set and lines with negative quantities and amounts."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    lines = [line if isinstance(line, InvoiceLine) else InvoiceLine.from_dict(line)
             for line in invoice["lines"]]
    rows = [_row(line) for line in lines]
    buffer = io.BytesIO()
    width, height = landscape(A5)
    # Uncompressed page streams keep the number greppable; a one-page invoice stays small.
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=0)
    canvas.setTitle(invoice["number"])
    canvas.setSubject(TITLE)
    canvas.setAuthor(invoice["seller"]["name"])
    for start in range(0, max(len(rows), 1), ROWS_PER_PAGE):
        y, page = _draw_page(canvas, invoice, rows[start:start + ROWS_PER_PAGE], mm, height)
        if start + ROWS_PER_PAGE < len(rows):
            canvas.drawText(page)
            canvas.showPage()
    _draw_totals(canvas, page, invoice, invoice_totals(lines), y, mm)
    canvas.drawText(page)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
