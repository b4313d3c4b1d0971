"""Lines of a VAT e-invoice (数电票) for refined oil and prepaid top-ups, and their amounts.

Pump prices include 13% VAT, so each line splits what the driver paid for one grade:
net = round_half_up(gross / 1.13) to the fen, tax = gross - net. Rounding per line keeps
net + tax == gross on every line, hence on the whole invoice.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, NamedTuple

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.invoices.goods import GRADES, PREPAID_TAX_CODE, REFINED_OIL_CODE_PREFIX
from chalicelib.domain.money import ML_PER_LITRE, div_round_half_up

VAT_RATE_PERCENT = 13
LITRE_UNIT = "升"
PRICE_DECIMALS = 8


class Fill(NamedTuple):
    """What one order puts on an invoice: its grade, litres and what the driver finally paid."""

    grade: str | int
    liters_ml: int
    paid_fen: int


@dataclass(frozen=True)
class InvoiceLine:
    category: str            # 简称, e.g. 汽油
    goods_name: str          # e.g. 92号车用汽油(VIB)
    tax_code: str
    unit: str                # 升, or "" when the line has no quantity
    quantity: str | None     # litres, plain decimal text with at most 8 decimals
    unit_price: str | None   # yuan per litre incl. tax, at most 8 decimals
    amount_fen: int          # gross, incl. tax
    net_fen: int
    tax_fen: int
    tax_rate: str            # "0.13", or "0" with vat_exempt for 不征税
    vat_exempt: bool = False

    @property
    def name(self) -> str:
        return f"*{self.category}*{self.goods_name}"

    @property
    def rate_label(self) -> str:
        return "不征税" if self.vat_exempt else f"{VAT_RATE_PERCENT}%"

    @property
    def is_refined_oil(self) -> bool:
        return self.tax_code.startswith(REFINED_OIL_CODE_PREFIX)

    def to_dict(self) -> dict:
        return {**asdict(self), "name": self.name, "rate_label": self.rate_label}

    @classmethod
    def from_dict(cls, data: dict) -> "InvoiceLine":
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


@dataclass(frozen=True)
class InvoiceTotals:
    net_fen: int
    tax_fen: int
    total_fen: int

    def to_dict(self) -> dict:
        return asdict(self)


def normalise_grade(grade: str | int) -> str:
    """'92', 92, '92#' and '92号' are all grade '92'; anything not in GRADES is refused."""
    text = str(grade).strip().rstrip("#号")
    try:
        key = str(int(text))
    except ValueError:
        key = text
    if isinstance(grade, bool) or key not in GRADES:
        raise InvalidInput(f"no invoice line is known for grade {grade!r}",
                           code="UNKNOWN_GRADE", field="grade")
    return key


def split_vat(gross_fen: int) -> tuple[int, int]:
    """(net, tax) of a VAT-inclusive amount: net rounded half up to the fen, tax the rest."""
    net = div_round_half_up(gross_fen * 100, 100 + VAT_RATE_PERCENT)
    return net, gross_fen - net


def quantity_text(liters_ml: int) -> str:
    """Millilitres as litres without trailing zeros: 30120 -> '30.12', 40000 -> '40'."""
    litres, ml = divmod(liters_ml, ML_PER_LITRE)
    return f"{litres}.{ml:03d}".rstrip("0").rstrip(".")


def unit_price(amount_fen: int, quantity: str) -> str:
    """Yuan per unit, amount / quantity rounded half up at the 8th decimal, trailing zeros cut.

    Integer arithmetic only: with quantity = n / 10^k, price in 1e-8 yuan is
    amount_fen * 10^(k+6) / n. A red-letter line (negative amount and quantity) has the same
    positive price.
    """
    digits, _, decimals = quantity.partition(".")
    scaled_quantity = int(digits + decimals)
    if scaled_quantity == 0:
        raise InvalidInput("quantity must not be zero", code="INVALID_QUANTITY", field="quantity")
    price = div_round_half_up(amount_fen * 10 ** (len(decimals) + 6), scaled_quantity)
    sign = "-" if price < 0 else ""
    whole, fraction = divmod(abs(price), 10 ** PRICE_DECIMALS)
    return f"{sign}{whole}.{fraction:0{PRICE_DECIMALS}d}".rstrip("0").rstrip(".")


def _check_count(value, what: str, field: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(f"{what} must be an integer of at least {minimum}",
                           code=f"INVALID_{field.upper()}", field=field)
    return value


def build_lines(fills: Iterable[Fill | tuple]) -> list[InvoiceLine]:
    """One refined-oil line per grade from (grade, liters_ml, paid_fen) fills.

    A grade whose fills were paid nothing in the end (fully discounted) gets no line.
    """
    per_grade: dict[str, list[int]] = {}
    for grade, liters_ml, paid_fen in fills:
        key = normalise_grade(grade)
        _check_count(liters_ml, "liters_ml", "liters_ml", minimum=1)
        _check_count(paid_fen, "paid_fen", "paid_fen", minimum=0)
        totals = per_grade.setdefault(key, [0, 0])
        totals[0] += liters_ml
        totals[1] += paid_fen
    lines = []
    for key, (category, goods_name, tax_code) in GRADES.items():
        if key not in per_grade or per_grade[key][1] == 0:
            continue
        liters_ml, gross = per_grade[key]
        quantity = quantity_text(liters_ml)
        net, tax = split_vat(gross)
        lines.append(InvoiceLine(category, goods_name, tax_code, LITRE_UNIT, quantity,
                                 unit_price(gross, quantity), gross, net, tax, "0.13"))
    if not lines:
        raise InvalidInput("there is nothing paid to invoice", code="NOTHING_TO_INVOICE",
                           field="order_ids")
    return lines


def topup_line(amount_fen: int) -> InvoiceLine:
    """The line for a prepaid-balance top-up: no quantity, no VAT levied (不征税)."""
    _check_count(amount_fen, "amount_fen", "amount_fen", minimum=1)
    return InvoiceLine("预付卡销售", "预付卡销售和充值", PREPAID_TAX_CODE, "", None, None,
                       amount_fen, amount_fen, 0, "0", vat_exempt=True)


def invoice_totals(lines: Iterable[InvoiceLine]) -> InvoiceTotals:
    lines = list(lines)
    net = sum(line.net_fen for line in lines)
    tax = sum(line.tax_fen for line in lines)
    return InvoiceTotals(net, tax, net + tax)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
MAX_YUAN = 10 ** 16   # up to 万亿 sections


def _yuan_in_words(yuan: int) -> str:
    """Digit by digit from the top; a run of zeros followed by a non-zero digit reads 零 once,
    even across a 万 or 亿 boundary (壹佰万零伍仟); 万 and 亿 close their sections."""
    if yuan >= MAX_YUAN:
        raise ValueError("amount too large for capital numerals")
    words, gap = "", False
    for place in reversed(range(len(str(yuan)))):
        digit = yuan // 10 ** place % 10
        if digit:
            words += ("零" if gap else "") + _DIGITS[digit] + _PLACES[place % 4]
            gap = False
        else:
            gap = bool(words)
        if place == 8:
            words += "亿"
        elif place in (4, 12) and yuan // 10 ** place % 10000:
            words += "万"
    return words


def amount_in_words(fen: int) -> str:
    """Chinese capital numerals (大写) of an amount, as written on invoices and cheques.

    12345 -> 壹佰贰拾叁元肆角伍分, 10000 -> 壹佰元整, 1002 -> 壹拾元零贰分, 50 -> 伍角.
    整 follows 元 only (after 角 it is optional; we leave it out); 零 stands for a run of
    zeros inside the yuan and for a zero 角 before a 分 (the 零 after a zero 元 digit before
    a 角 is optional; we leave it out); a negative (red-letter) amount starts with 负.
    """
    if fen < 0:
        return "负" + amount_in_words(-fen)
    if fen == 0:
        return "零元整"
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    words = _yuan_in_words(yuan) + "元" if yuan else ""
    if not rest:
        return words + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if cents:
        words += _DIGITS[cents] + "分"
    return words
