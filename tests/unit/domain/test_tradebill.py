"""Parsing WeChat Pay trade bills (bill_type ALL) written in the real format."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import yuan_text
from chalicelib.domain.reconciliation.tradebill import BillFormatError, parse_trade_bill

HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
          "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
          "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注").split(",")
SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def fee_text(milli_fen: int) -> str:
    whole, part = divmod(abs(milli_fen), 100_000)
    return f"{'-' if milli_fen < 0 else ''}{whole}.{part:05d}"


class BillText:
    """Builds a bill the way WeChat Pay writes it: backticks, yuan, REFUND rows, summary."""

    def __init__(self):
        self.rows: list[dict[str, str]] = []
        self.totals = dict.fromkeys(SUMMARY_HEADER.split(",")[1:], 0)

    def _row(self, out_trade_no, at, status, fee, **amounts) -> dict[str, str]:
        for name, value in (("应结订单总金额", amounts.get("应结订单金额", 0)),
                            ("退款总金额", amounts.get("退款金额", 0)), ("手续费总金额", fee),
                            ("订单总金额", amounts.get("订单金额", 0)),
                            ("申请退款总金额", amounts.get("申请退款金额", 0))):
            self.totals[name] += value
        row = dict.fromkeys(HEADER, "")
        row.update({"交易时间": at, "公众账号ID": "wx8888888888888888", "商户号": "1900000109",
                    "特约商户号": "0", "微信订单号": "42000" + out_trade_no[-8:], "商户订单号": out_trade_no,
                    "用户标识": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "交易类型": "JSAPI", "交易状态": status,
                    "付款银行": "OTHERS", "货币种类": "CNY", "商品名称": "92号汽油", "手续费": fee_text(fee),
                    "费率": "0.60%", "代金券金额": "0.00", "充值券退款金额": "0.00"})
        row.update({name: yuan_text(amounts.get(name, 0))
                    for name in ("应结订单金额", "退款金额", "订单金额", "申请退款金额")})
        self.rows.append(row)
        return row

    def pay(self, out_trade_no, fen, *, fee=0, at="2025-03-01 10:00:00"):
        row = self._row(out_trade_no, at, "SUCCESS", fee, 应结订单金额=fen, 订单金额=fen)
        row.update({"微信退款单号": "0", "商户退款单号": "0"})
        return self

    def refund(self, out_trade_no, out_refund_no, fen, *, status="SUCCESS", fee=0,
               at="2025-03-01 12:00:00"):
        row = self._row(out_trade_no, at, "REFUND", fee, 退款金额=fen, 申请退款金额=fen)
        row.update({"微信退款单号": "50300" + out_refund_no[-8:], "商户退款单号": out_refund_no,
                    "退款类型": "ORIGINAL", "退款状态": status})
        return self

    def text(self, *, columns=HEADER, bom=False, eol="\r\n", **summary_overrides) -> str:
        lines = [",".join(columns)] + [",".join("`" + row[c] for c in columns) for row in self.rows]
        summary = [str(len(self.rows))] + [
            fee_text(v) if name == "手续费总金额" else yuan_text(v) for name, v in self.totals.items()]
        for index, name in enumerate(SUMMARY_HEADER.split(",")):
            summary[index] = summary_overrides.get(name, summary[index])
        lines += [SUMMARY_HEADER, ",".join("`" + value for value in summary)]
        return ("\ufeff" if bom else "") + eol.join(lines) + eol


def one_payment_with(column: str, value: str) -> str:
    bill = BillText().pay(new_no(), 100)
    bill.rows[0][column] = value
    return bill.text()


def new_no() -> str:
    return uuid.uuid4().hex[:20]


# A bill in the shape WeChat Pay actually serves: LF line ends, JSON in 商户数据包, fees printed
# with five decimals (a refund gives its fee back as a negative one), 订单金额 0.00 on refunds.
REAL_SHAPE = """交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
`2025-03-01 16:47:58,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200002166202502280324636876,`T20250228090001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50302709992025030191956632208,`R20250301000001,`50.00,`0.00,`ORIGINAL,`SUCCESS,`92号汽油,`{"station":"ty-001"},`-0.27000,`0.54%,`0.00,`50.00,`
`2025-03-01 10:06:33,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200002360202503011150650780,`T20250301100001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`60.00,`0.00,`0,`0,`0.00,`0.00,`,`,`92号汽油,`{"station":"ty-001"},`0.32000,`0.54%,`60.00,`0.00,`
`2025-03-01 11:15:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200002360202503011150651234,`T20250301110002,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`92号汽油,`,`0.00600,`0.60%,`1.00,`0.00,`
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
`3,`61.00,`50.00,`0.00,`0.05600,`61.00,`50.00
"""


def test_real_shaped_bill_parses_into_payments_and_refunds_in_fen():
    bill = parse_trade_bill(REAL_SHAPE)

    assert [(p.out_trade_no, p.order_amount_fen, p.fee_milli_fen) for p in bill.payments] == [
        ("T20250301100001", 6000, 32000), ("T20250301110002", 100, 600)]
    refund = bill.refunds[0]
    assert (refund.out_trade_no, refund.out_refund_no, refund.refund_id) == (
        "T20250228090001", "R20250301000001", "50302709992025030191956632208")
    assert (refund.refund_amount_fen, refund.applied_amount_fen) == (5000, 5000)
    assert refund.status == "SUCCESS"
    assert (refund.fee_milli_fen, refund.fee_rate, refund.line) == (-27000, "0.54%", 2)
    assert bill.summary.fee_total_milli_fen == 5600
    assert bill.summary.row_count == 3


@pytest.mark.parametrize("text, fen", [("0.01", 1), ("1234.50", 123450), ("1234.5", 123450),
                                        ("0", 0), ("0.00", 0), ("100000000.99", 10000000099)])
def test_yuan_amounts_become_exact_fen(text, fen):
    bill = BillText().pay(new_no(), fen)
    bill.rows[0]["订单金额"] = text

    assert parse_trade_bill(bill.text()).payments[0].order_amount_fen == fen


@pytest.mark.parametrize("text", ["0.001", "12.345", "abc", "1e3", "1.2.3", "", ".5", "+1.00",
                                  "1;00", "１.00", "NaN"])
def test_amount_with_more_than_two_decimals_or_garbage_is_rejected_with_line_and_column(text):
    bill = BillText().pay(new_no(), 100).pay(new_no(), 200)
    bill.rows[1]["订单金额"] = text

    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(bill.text())

    assert (caught.value.line, caught.value.column) == (3, "订单金额")
    assert "line 3" in caught.value.message and "订单金额" in caught.value.message


def test_fee_keeps_five_decimals_and_a_sixth_is_rejected():
    text = BillText().pay(new_no(), 100, fee=600).text()

    assert "`0.00600," in text
    assert parse_trade_bill(text).payments[0].fee_milli_fen == 600
    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(one_payment_with("手续费", "0.000001"))
    assert caught.value.column == "手续费"


def test_trade_time_is_shanghai_local_time_returned_in_utc():
    bill = BillText().pay(new_no(), 100, at="2025-03-01 00:30:00")

    paid_at = parse_trade_bill(bill.text()).payments[0].trade_time

    assert paid_at == datetime(2025, 2, 28, 16, 30, tzinfo=timezone.utc)
    assert paid_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["2025-02-30 10:00:00", "2025-03-01T10:00:00",
                                  "2025/03/01 10:00:00", "2025-03-01 10:00", ""])
def test_malformed_trade_time_is_rejected(text):
    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(one_payment_with("交易时间", text))
    assert (caught.value.line, caught.value.column) == (2, "交易时间")


def test_backticks_are_stripped_from_every_field():
    out_trade_no = new_no()

    payment = parse_trade_bill(BillText().pay(out_trade_no, 100).text()).payments[0]

    assert payment.out_trade_no == out_trade_no
    assert not payment.transaction_id.startswith("`") and payment.fee_rate == "0.60%"


def test_byte_order_mark_and_either_line_ending_are_tolerated():
    bill = BillText().pay(new_no(), 100).refund(new_no(), new_no(), 50)

    with_bom = parse_trade_bill(bill.text(bom=True, eol="\r\n"))
    plain = parse_trade_bill(bill.text(eol="\n"))

    assert with_bom == plain
    assert len(plain.payments) == 1 and len(plain.refunds) == 1


def test_columns_are_located_by_name_not_position():
    bill = BillText().pay(new_no(), 1234).refund(new_no(), new_no(), 99, status="PROCESSING")

    shuffled = parse_trade_bill(bill.text(columns=list(reversed(HEADER))))

    assert shuffled == parse_trade_bill(bill.text())
    assert shuffled.refunds[0].status == "PROCESSING"


def test_header_without_a_needed_column_is_rejected_on_line_one():
    text = BillText().pay(new_no(), 100).text(columns=[c for c in HEADER if c != "商户订单号"])

    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(text)

    assert caught.value.line == 1 and "商户订单号" in caught.value.message


@pytest.mark.parametrize("text", ["", '{"code":"NO_STATEMENT_EXIST","message":"账单不存在"}'])
def test_something_that_is_not_a_bill_is_rejected(text):
    with pytest.raises(BillFormatError):
        parse_trade_bill(text)


def test_row_missing_a_field_is_rejected_with_its_line_number():
    lines = BillText().pay(new_no(), 100).pay(new_no(), 200).text(eol="\n").split("\n")
    lines[2] = lines[2].rsplit(",", 1)[0]

    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill("\n".join(lines))

    assert caught.value.line == 3 and "found 26" in caught.value.message


def test_refund_row_without_merchant_refund_number_is_rejected():
    bill = BillText().refund(new_no(), new_no(), 100)
    bill.rows[0]["商户退款单号"] = ""

    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(bill.text())

    assert (caught.value.line, caught.value.column) == (2, "商户退款单号")


def test_trade_status_other_than_success_or_refund_is_rejected():
    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(one_payment_with("交易状态", "REVOKED"))
    assert caught.value.column == "交易状态"


@pytest.mark.parametrize("column, value", [("总交易单数", "4"), ("订单总金额", "3.01"),
                                           ("应结订单总金额", "2.99"), ("退款总金额", "0.00"),
                                           ("申请退款总金额", "0.51"), ("手续费总金额", "0.00001"),
                                           ("充值券退款总金额", "0.01")])
def test_summary_that_does_not_add_up_is_rejected_on_its_line(column, value):
    bill = BillText().pay(new_no(), 100).pay(new_no(), 200).refund(new_no(), new_no(), 50)

    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(bill.text(**{column: value}))

    assert "summary does not add up" in caught.value.message
    assert (caught.value.line, caught.value.column) == (6, column)


def test_bill_without_summary_is_rejected():
    text = BillText().pay(new_no(), 100).text(eol="\n")

    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(text.rsplit(SUMMARY_HEADER, 1)[0])

    assert "summary" in caught.value.message


def test_content_after_the_summary_row_is_rejected():
    bill = BillText().pay(new_no(), 100)

    with pytest.raises(BillFormatError) as caught:
        parse_trade_bill(bill.text(eol="\n") + "`1,`0.01\n")

    assert caught.value.line == 5


def test_day_without_transactions_gives_an_empty_bill():
    bill = parse_trade_bill(BillText().text())

    assert bill.payments == () and bill.refunds == () and bill.summary.row_count == 0


def test_format_error_is_invalid_input_with_a_stable_code():
    with pytest.raises(InvalidInput) as caught:
        parse_trade_bill(one_payment_with("订单金额", "x"))
    assert caught.value.code == "BILL_MALFORMED"


@given(st.lists(st.tuples(st.integers(1, 10**10), st.integers(-10**7, 10**7)), max_size=30),
       st.lists(st.integers(1, 10**9), max_size=10))
def test_any_bill_written_from_fen_parses_back_to_the_same_fen(payments, refunds):
    bill = BillText()
    for index, (fen, fee) in enumerate(payments):
        bill.pay(f"T{index:08d}", fen, fee=fee)
    for index, fen in enumerate(refunds):
        bill.refund(f"T{index:08d}", f"R{index:08d}", fen, fee=-fen)

    parsed = parse_trade_bill(bill.text())

    assert [(p.order_amount_fen, p.fee_milli_fen) for p in parsed.payments] == payments
    assert [r.applied_amount_fen for r in parsed.refunds] == refunds
    assert parsed.summary.order_total_fen == sum(fen for fen, _ in payments)
