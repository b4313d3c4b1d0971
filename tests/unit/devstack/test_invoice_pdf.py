"""The PDF copy of an issued invoice: a real PDF, with the number findable in its bytes."""
import re

from chalicelib.domain.invoices.lines import InvoiceLine, amount_in_words, build_lines, topup_line
from devstack.sandboxes.invoice_pdf import render_invoice_pdf

NUMBER = "25142000001234567890"


def invoice(lines=None, **extra) -> dict:
    lines = lines or build_lines([("92", 30120, 22000), ("0", 20000, 15000)])
    return {"number": NUMBER, "issued_at": "2025-03-01T17:30:00Z",
            "seller": {"name": "太原示例加油站有限公司", "tax_id": "91110000600037341L"},
            "buyer": {"name": "山西示例物流有限公司", "tax_id": "91440300708461136T"},
            "lines": [line.to_dict() for line in lines], **extra}


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_the_pdf_is_a_pdf_with_the_invoice_number_in_it():
    pdf = render_invoice_pdf(invoice())

    assert pdf.startswith(b"%PDF")
    assert NUMBER.encode() in pdf
    assert f"({NUMBER})".encode() in pdf   # drawn as plain Latin text, and the title


def test_the_figures_of_the_lines_and_totals_are_printed():
    pdf = render_invoice_pdf(invoice())

    # Tax-exclusive amounts and the taxes of both lines, and the total in figures.
    for figure in (b"194.69", b"25.31", b"132.74", b"17.26", b"327.43", b"42.57", b"370.00"):
        assert figure in pdf
    assert amount_in_words(37000) == "叁佰柒拾元整"


def test_a_personal_buyer_and_a_topup_line_render():
    pdf = render_invoice_pdf({**invoice([topup_line(50000)]), "buyer": {"name": "张三"}})

    assert pdf.startswith(b"%PDF") and b"500.00" in pdf and page_count(pdf) == 1


def test_many_lines_continue_on_a_second_page():
    pdf = render_invoice_pdf(invoice([topup_line(100 + i) for i in range(11)]))

    assert page_count(pdf) == 2 and NUMBER.encode() in pdf


def test_a_red_letter_copy_names_the_invoice_it_reverses_and_shows_negative_figures():
    original = "25142000000000000001"
    red_lines = [InvoiceLine.from_dict({**line.to_dict(), "quantity": "-" + line.quantity,
                                        "amount_fen": -line.amount_fen, "net_fen": -line.net_fen,
                                        "tax_fen": -line.tax_fen})
                 for line in build_lines([("95", 10000, 8000)])]

    pdf = render_invoice_pdf(invoice(red_lines, original_number=original))

    assert original.encode() in pdf and b"(-70.80)" in pdf and b"(-10)" in pdf
