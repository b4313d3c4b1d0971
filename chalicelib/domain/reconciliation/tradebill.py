"""WeChat Pay v3 trade bill (交易账单, bill_type ALL): the gunzipped CSV parsed into fen.

The file has four parts: a detail header, detail rows, a summary header and one summary row.
Every detail and summary field starts with a backtick (it stops Excel from turning ids into
floats). Amounts are yuan with two decimals, except the fee columns, which WeChat Pay prints
with five (`0.00600` is 0.6 fen): fees are therefore kept in milli-fen (1 fen = 1000), exactly.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from chalicelib.domain.times import SHANGHAI
from chalicelib.domain.errors import InvalidInput

MILLI_FEN_PER_FEN = 1000
# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exactly
# Asia/Shanghai for any bill (bills exist for three months) and needs no tz database.

SUMMARY_FIRST_COLUMN = "总交易单数"
# summary column -> (detail column whose sum it must equal, BillSummary attribute)
SUMMARY_SUMS = {
    "应结订单总金额": ("应结订单金额", "settlement_total_fen"),
    "退款总金额": ("退款金额", "refund_total_fen"),
    "充值券退款总金额": ("充值券退款金额", "recharge_coupon_refund_total_fen"),
    "手续费总金额": ("手续费", "fee_total_milli_fen"),
    "订单总金额": ("订单金额", "order_total_fen"),
    "申请退款总金额": ("申请退款金额", "applied_refund_total_fen"),
}
SUMMARY_COLUMNS = (SUMMARY_FIRST_COLUMN, *SUMMARY_SUMS)
SUMMED_COLUMNS = tuple(detail for detail, _ in SUMMARY_SUMS.values())
FEE_COLUMNS = frozenset({"手续费", "手续费总金额"})
REQUIRED_COLUMNS = (
    "交易时间", "微信订单号", "商户订单号", "交易状态", "微信退款单号", "商户退款单号", "退款类型",
    "退款状态", "费率", *SUMMED_COLUMNS,
)
_AMOUNT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]{1,2}))?")  # ASCII digits only: \d takes "１"
_FEE = re.compile(r"(-?)([0-9]+)(?:\.([0-9]{1,5}))?")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


class BillFormatError(InvalidInput):
    """The bill is not in the trade bill format; names where (1-based line, column name)."""

    code = "BILL_MALFORMED"

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None):
        where = ", ".join(p for p in (line and f"line {line}", column and f"column {column}") if p)
        super().__init__(f"trade bill {where}: {message}" if where else f"trade bill: {message}",
                         field=column)
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class BillPayment:
    line: int
    trade_time: datetime  # UTC-aware payment success time
    transaction_id: str  # 微信订单号
    out_trade_no: str
    order_amount_fen: int  # 订单金额: the amount.total WeChat Pay charged
    settlement_amount_fen: int  # 应结订单金额: 订单金额 less no-recharge coupons
    fee_milli_fen: int
    fee_rate: str  # 费率 as printed, e.g. "0.60%"


@dataclass(frozen=True, slots=True)
class BillRefund:
    line: int
    trade_time: datetime  # UTC-aware time WeChat Pay accepted the refund (not when it settled)
    transaction_id: str
    out_trade_no: str
    refund_id: str  # 微信退款单号
    out_refund_no: str
    applied_amount_fen: int  # 申请退款金额: the amount.refund we asked for
    refund_amount_fen: int  # 退款金额: what leaves the settlement
    status: str  # 退款状态 when the bill was cut; WeChat Pay never updates it afterwards
    refund_type: str
    fee_milli_fen: int  # usually negative: the fee WeChat Pay gives back
    fee_rate: str


@dataclass(frozen=True, slots=True)
class BillSummary:
    line: int
    row_count: int
    settlement_total_fen: int
    refund_total_fen: int
    recharge_coupon_refund_total_fen: int
    fee_total_milli_fen: int
    order_total_fen: int
    applied_refund_total_fen: int


@dataclass(frozen=True, slots=True)
class TradeBill:
    payments: tuple[BillPayment, ...]
    refunds: tuple[BillRefund, ...]
    summary: BillSummary


def _amount(text: str, line: int, column: str) -> int:
    """Yuan text to fen (milli-fen for the fee columns) digit by digit, never through a float."""
    places = 5 if column in FEE_COLUMNS else 2
    match = (_FEE if places == 5 else _AMOUNT).fullmatch(text.strip())
    if not match:
        raise BillFormatError(f"{text!r} is not yuan with at most {places} decimals",
                              line=line, column=column)
    sign, whole, decimals = match.groups()
    value = int(whole) * 10**places + int((decimals or "0").ljust(places, "0"))
    return -value if sign else value


def _yuan(value: int, column: str) -> str:
    places = 5 if column in FEE_COLUMNS else 2
    whole, part = divmod(abs(value), 10**places)
    return f"{'-' if value < 0 else ''}{whole}.{part:0{places}d}"


def _time(text: str, line: int) -> datetime:
    try:
        if not _TIME.fullmatch(text):
            raise ValueError(text)
        local = datetime.fromisoformat(text)
    except ValueError as err:
        raise BillFormatError(f"{text!r} is not a time yyyy-MM-dd HH:mm:ss", line=line,
                              column="交易时间") from err
    return local.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def _index(header: list[str], required: tuple[str, ...], line: int) -> dict[str, int]:
    names = [name.strip().removeprefix("`") for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        raise BillFormatError(f"header lacks {', '.join(missing)}", line=line)
    return {name: names.index(name) for name in required}


def _text(fields: list[str], columns: dict[str, int], name: str, line: int) -> str:
    value = fields[columns[name]].strip()
    if not value:
        raise BillFormatError("is empty", line=line, column=name)
    return value


def _detail(fields: list[str], columns: dict[str, int], line: int,
            totals: dict[str, int]) -> BillPayment | BillRefund:
    amounts = {name: _amount(fields[columns[name]], line, name) for name in SUMMED_COLUMNS}
    for name, value in amounts.items():
        totals[name] += value
    status = fields[columns["交易状态"]].strip()
    common = {
        "line": line, "trade_time": _time(fields[columns["交易时间"]].strip(), line),
        "transaction_id": _text(fields, columns, "微信订单号", line),
        "out_trade_no": _text(fields, columns, "商户订单号", line),
        "fee_milli_fen": amounts["手续费"], "fee_rate": fields[columns["费率"]].strip(),
    }
    if status == "SUCCESS":
        return BillPayment(**common, order_amount_fen=amounts["订单金额"],
                           settlement_amount_fen=amounts["应结订单金额"])
    if status == "REFUND":
        return BillRefund(
            **common, refund_id=_text(fields, columns, "微信退款单号", line),
            out_refund_no=_text(fields, columns, "商户退款单号", line),
            applied_amount_fen=amounts["申请退款金额"], refund_amount_fen=amounts["退款金额"],
            status=_text(fields, columns, "退款状态", line),
            refund_type=fields[columns["退款类型"]].strip())
    raise BillFormatError(f"{status!r} is neither SUCCESS nor REFUND", line=line, column="交易状态")


def _summary(fields: list[str], columns: dict[str, int], line: int) -> BillSummary:
    count = fields[columns[SUMMARY_FIRST_COLUMN]].strip()
    if not count.isascii() or not count.isdigit():
        raise BillFormatError(f"{count!r} is not a count", line=line, column=SUMMARY_FIRST_COLUMN)
    sums = {attr: _amount(fields[columns[name]], line, name)
            for name, (_, attr) in SUMMARY_SUMS.items()}
    return BillSummary(line, int(count), **sums)


def _check(summary: BillSummary, rows: int, totals: dict[str, int]) -> None:
    if summary.row_count != rows:
        raise BillFormatError(f"summary does not add up: {SUMMARY_FIRST_COLUMN} says "
                              f"{summary.row_count}, the bill has {rows} rows",
                              line=summary.line, column=SUMMARY_FIRST_COLUMN)
    for name, (detail, attr) in SUMMARY_SUMS.items():
        stated = getattr(summary, attr)
        if stated != totals[detail]:
            raise BillFormatError(f"summary does not add up: {name} says {_yuan(stated, name)}, "
                                  f"the rows sum to {_yuan(totals[detail], name)}",
                                  line=summary.line, column=name)


def _untick(row: list[str]) -> list[str]:
    return [cell[1:] if cell.startswith("`") else cell for cell in row]


def parse_trade_bill(text: str) -> TradeBill:
    """Parse and check a whole trade bill in one pass; any defect raises BillFormatError."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=None))
    columns = summary_columns = summary = None
    width = 0
    payments: list[BillPayment] = []
    refunds: list[BillRefund] = []
    totals = dict.fromkeys(SUMMED_COLUMNS, 0)
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if summary is not None:
                raise BillFormatError("unexpected content after the summary row", line=line)
            if columns is None:
                columns, width = _index(row, REQUIRED_COLUMNS, line), len(row)
            elif summary_columns is None and row[0].strip() == SUMMARY_FIRST_COLUMN:
                summary_columns, width = _index(row, SUMMARY_COLUMNS, line), len(row)
            elif len(row) != width:
                raise BillFormatError(f"expected {width} fields, found {len(row)}", line=line)
            elif summary_columns is None:
                record = _detail(_untick(row), columns, line, totals)
                (payments if type(record) is BillPayment else refunds).append(record)
            else:
                summary = _summary(_untick(row), summary_columns, line)
    except csv.Error as err:
        raise BillFormatError(f"unreadable CSV: {err}", line=reader.line_num) from err
    if columns is None:
        raise BillFormatError("empty: no header line")
    if summary is None:
        raise BillFormatError("no summary row after the detail rows", line=reader.line_num)
    _check(summary, len(payments) + len(refunds), totals)
    return TradeBill(tuple(payments), tuple(refunds), summary)
