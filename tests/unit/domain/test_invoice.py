"""Refined-oil invoice lines: catalogue, quantities, the 13% VAT split, top-ups, 大写 numerals."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.invoices.goods import (DIESEL_TAX_CODE, GASOLINE_TAX_CODE, GRADES,
                                              PREPAID_TAX_CODE)
from chalicelib.domain.invoices.lines import (
    Fill, InvoiceLine, amount_in_words, build_lines, invoice_totals, quantity_text, split_vat,
    topup_line, unit_price)


@pytest.mark.parametrize("grade, name, code", [
    ("92", "*汽油*92号车用汽油(VIB)", GASOLINE_TAX_CODE),
    ("95", "*汽油*95号车用汽油(VIB)", GASOLINE_TAX_CODE),
    ("98", "*汽油*98号车用汽油(VIB)", GASOLINE_TAX_CODE),
    ("0", "*柴油*0号车用柴油(VI)", DIESEL_TAX_CODE),
    ("-10", "*柴油*-10号车用柴油(VI)", DIESEL_TAX_CODE),
    ("-20", "*柴油*-20号车用柴油(VI)", DIESEL_TAX_CODE),
])
def test_each_grade_gets_its_name_tax_code_and_litre_unit(grade, name, code):
    [line] = build_lines([(grade, 1000, 800)])

    assert (line.name, line.tax_code, line.unit, line.tax_rate) == (name, code, "升", "0.13")
    assert line.is_refined_oil and line.rate_label == "13%"


@pytest.mark.parametrize("spelling", [92, "92", "92#", "92号", " 92 "])
def test_common_spellings_of_a_grade_are_the_same_grade(spelling):
    [line] = build_lines([(spelling, 1000, 800)])

    assert line.goods_name == "92号车用汽油(VIB)"


@pytest.mark.parametrize("grade", ["89", "E92", "", None, True, "柴油"])
def test_an_unknown_grade_is_refused(grade):
    with pytest.raises(InvalidInput) as err:
        build_lines([(grade, 1000, 800)])

    assert (err.value.code, err.value.field) == ("UNKNOWN_GRADE", "grade")


def test_fills_of_one_grade_become_one_line_in_catalogue_order():
    lines = build_lines([Fill("0", 20000, 15000), Fill("92", 30120, 22000),
                         Fill("92#", 5000, 3600)])

    assert [line.goods_name for line in lines] == ["92号车用汽油(VIB)", "0号车用柴油(VI)"]
    assert (lines[0].quantity, lines[0].amount_fen) == ("35.12", 25600)


def test_quantity_is_litres_from_millilitres_without_trailing_zeros():
    assert [quantity_text(ml) for ml in (30120, 40000, 1, 12345)] == ["30.12", "40", "0.001",
                                                                      "12.345"]


def test_unit_price_rounds_half_up_at_the_eighth_decimal():
    assert unit_price(1, "3") == "0.00333333"
    assert unit_price(2, "3") == "0.00666667"
    assert unit_price(800, "1") == "8"
    assert unit_price(22000, "30.12") == "7.30411687"
    assert unit_price(-22000, "-30.12") == "7.30411687"   # a red-letter line


@pytest.mark.parametrize("gross, net, tax", [(113, 100, 13), (100, 88, 12), (1, 1, 0), (0, 0, 0),
                                             (56500, 50000, 6500), (57, 50, 7)])
def test_vat_split_rounds_the_net_half_up_and_leaves_the_rest_as_tax(gross, net, tax):
    assert split_vat(gross) == (net, tax)


def test_a_grade_paid_nothing_in_the_end_gets_no_line():
    lines = build_lines([("92", 10000, 0), ("95", 10000, 7000)])

    assert [line.goods_name for line in lines] == ["95号车用汽油(VIB)"]


def test_nothing_paid_at_all_is_nothing_to_invoice():
    with pytest.raises(InvalidInput) as err:
        build_lines([("92", 10000, 0)])

    assert err.value.code == "NOTHING_TO_INVOICE"


@pytest.mark.parametrize("fill, code", [
    (("92", 0, 100), "INVALID_LITERS_ML"), (("92", -5, 100), "INVALID_LITERS_ML"),
    (("92", 10.5, 100), "INVALID_LITERS_ML"), (("92", 1000, -1), "INVALID_PAID_FEN"),
    (("92", 1000, True), "INVALID_PAID_FEN"), (("92", 1000, "100"), "INVALID_PAID_FEN"),
])
def test_bad_litres_or_amounts_are_refused(fill, code):
    with pytest.raises(InvalidInput) as err:
        build_lines([fill])

    assert err.value.code == code


def test_a_topup_line_is_prepaid_card_sale_without_vat():
    line = topup_line(50000)

    assert line.name == "*预付卡销售*预付卡销售和充值"
    assert (line.tax_code, line.tax_rate, line.rate_label) == (PREPAID_TAX_CODE, "0", "不征税")
    assert (line.amount_fen, line.net_fen, line.tax_fen) == (50000, 50000, 0)
    assert line.quantity is None and not line.is_refined_oil


@pytest.mark.parametrize("amount", [0, -100, 1.5, True])
def test_a_topup_of_nothing_is_refused(amount):
    with pytest.raises(InvalidInput):
        topup_line(amount)


def test_a_line_survives_its_dict_form():
    line = build_lines([("95", 20000, 16000)])[0]

    data = line.to_dict()

    assert data["name"] == "*汽油*95号车用汽油(VIB)" and data["rate_label"] == "13%"
    assert InvoiceLine.from_dict(data) == line


fills = st.lists(st.tuples(st.sampled_from(list(GRADES)), st.integers(1, 200_000),
                           st.integers(0, 5_000_000)), min_size=1, max_size=12)


@given(fills)
def test_net_plus_tax_is_exactly_what_the_driver_paid(fills):
    paid = sum(fill[2] for fill in fills)
    if paid == 0:
        return
    lines = build_lines(fills)

    totals = invoice_totals(lines)

    assert totals.net_fen + totals.tax_fen == totals.total_fen == paid
    for line in lines:
        assert line.net_fen + line.tax_fen == line.amount_fen
        # Within a fen of 13% of the net: |tax - 0.13 * net| <= 1 fen.
        assert abs(100 * line.tax_fen - 13 * line.net_fen) <= 100


@given(fills)
def test_each_line_states_the_litres_and_a_price_that_multiplies_back(fills):
    if sum(fill[2] for fill in fills) == 0:
        return
    litres = {}
    for grade, ml, _ in fills:
        litres[grade] = litres.get(grade, 0) + ml

    for line in build_lines(fills):
        grade = next(key for key, value in GRADES.items() if value[1] == line.goods_name)
        assert Decimal(line.quantity) * 1000 == litres[grade]
        assert len(line.unit_price.partition(".")[2]) <= 8
        assert abs(Decimal(line.unit_price) * Decimal(line.quantity)
                   - Decimal(line.amount_fen) / 100) <= Decimal("0.01")


@pytest.mark.parametrize("fen, words", [
    (12345, "壹佰贰拾叁元肆角伍分"), (10000, "壹佰元整"), (0, "零元整"), (5, "伍分"), (50, "伍角"),
    (105, "壹元零伍分"), (1002, "壹拾元零贰分"), (140950, "壹仟肆佰零玖元伍角"),
    (600714, "陆仟零柒元壹角肆分"), (1640902, "壹万陆仟肆佰零玖元零贰分"),
    (10000000000, "壹亿元整"), (100000000500, "壹拾亿零伍元整"),
    (10000100000000, "壹仟亿零壹佰万元整"), (100500000, "壹佰万零伍仟元整"), (-33600, "负叁佰叁拾陆元整"),
])
def test_amounts_in_capital_numerals(fen, words):
    assert amount_in_words(fen) == words


def test_amounts_beyond_ten_thousand_trillion_yuan_have_no_capital_numerals():
    with pytest.raises(ValueError):
        amount_in_words(10 ** 18)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def _read_words(words: str) -> int:
    """Parse capital numerals back to fen, independently of the code under test."""
    if words.startswith("负"):
        return -_read_words(words[1:])
    yuan_words, _, rest = words.rpartition("元") if "元" in words else ("", "", words)
    total = section = number = 0
    for char in yuan_words:
        if char in _DIGITS:
            number = _DIGITS.index(char)
        elif char in _UNITS:
            section, number = section + number * _UNITS[char], 0
        elif char == "万":
            total, section, number = total + (section + number) * 10_000, 0, 0
        elif char == "亿":
            total, section, number = (total + section + number) * 100_000_000, 0, 0
    fen = (total + section + number) * 100
    rest = rest.replace("零", "").replace("整", "")
    for unit, value in (("角", 10), ("分", 1)):
        if unit in rest:
            head, _, rest = rest.partition(unit)
            fen += _DIGITS.index(head) * value
    return fen


@given(st.integers(-10 ** 15, 10 ** 15))
def test_capital_numerals_read_back_to_the_same_amount(fen):
    words = amount_in_words(fen)

    assert _read_words(words) == fen
    assert "零零" not in words and not words.endswith("零") and "零元" not in words[1:]


def test_diesel_is_classified_as_road_diesel_not_jet_kerosene():
    # 车用柴油 is 1070101030100000000; 1070101020100000000 is 航空煤油.
    assert DIESEL_TAX_CODE == "1070101030100000000"
    assert GASOLINE_TAX_CODE == "1070101010100000000"
    assert {GRADES[g].tax_code for g in ("0", "-10", "-20", "-35")} == {DIESEL_TAX_CODE}
