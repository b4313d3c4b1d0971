"""Reconciling a WeChat Pay trade bill with our orders and refunds."""
from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import yuan_text
from chalicelib.domain.reconciliation.matching import (
    AMOUNT_MISMATCH, DUPLICATE, INVESTIGATE, MARK_PAID, MISSING_IN_BILL, PAID_NOT_RECORDED,
    QUERY_PAYMENT, QUERY_REFUND, REFUND, REFUND_MISMATCH, UNKNOWN_ORDER, OrderRecord, RefundRecord,
    Seen, reconcile)
from chalicelib.domain.reconciliation.tradebill import parse_trade_bill

HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
          "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
          "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def fee_text(milli_fen: int) -> str:
    whole, part = divmod(abs(milli_fen), 100_000)
    return f"{'-' if milli_fen < 0 else ''}{whole}.{part:05d}"


def tx(out_trade_no: str) -> str:
    return "4200" + out_trade_no


class BillText:
    """Writes a bill as WeChat Pay does (backticks, yuan, REFUND rows, summary) and parses it."""

    def __init__(self):
        self.lines: list[str] = []
        self.paid = self.refunded = self.fees = 0

    def pay(self, out_trade_no, fen, *, fee=600, transaction_id=None):
        yuan = yuan_text(fen)
        self.lines.append(
            f"`2025-03-01 10:00:00,`wx8888888888888888,`1900000109,`0,`,"
            f"`{transaction_id or tx(out_trade_no)},`{out_trade_no},`oUpF8uMuAJO,`JSAPI,`SUCCESS,"
            f"`OTHERS,`CNY,`{yuan},`0.00,`0,`0,`0.00,`0.00,`,`,`92号汽油,`,`{fee_text(fee)},`0.60%,"
            f"`{yuan},`0.00,`")
        self.paid, self.fees = self.paid + fen, self.fees + fee
        return self

    def refund(self, out_trade_no, out_refund_no, fen, *, status="SUCCESS", fee=-300):
        yuan = yuan_text(fen)
        self.lines.append(
            f"`2025-03-01 12:00:00,`wx8888888888888888,`1900000109,`0,`,`{tx(out_trade_no)},"
            f"`{out_trade_no},`oUpF8uMuAJO,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,"
            f"`5030{out_refund_no},`{out_refund_no},`{yuan},`0.00,`ORIGINAL,`{status},`92号汽油,`,"
            f"`{fee_text(fee)},`0.60%,`0.00,`{yuan},`")
        self.refunded, self.fees = self.refunded + fen, self.fees + fee
        return self

    def parse(self):
        paid, refunded = yuan_text(self.paid), yuan_text(self.refunded)
        summary = (f"`{len(self.lines)},`{paid},`{refunded},`0.00,`{fee_text(self.fees)},"
                   f"`{paid},`{refunded}")
        return parse_trade_bill("\n".join([HEADER, *self.lines, SUMMARY_HEADER, summary]) + "\n")


def new_no() -> str:
    return uuid.uuid4().hex[:16]


def order(out_trade_no, fen, status="PAID", station_id="station-1", transaction_id=None):
    return OrderRecord(out_trade_no, "order-" + out_trade_no, station_id, status, fen,
                       transaction_id)


def only_difference(result):
    assert len(result.differences) == 1, result.differences
    return result.differences[0]


def test_bill_agreeing_with_our_records_is_all_matched():
    a, b, r = new_no(), new_no(), new_no()
    bill = (BillText().pay(a, 1000, fee=6000).pay(b, 250, fee=1500)
            .refund(a, r, 400, fee=-2400).parse())

    result = reconcile(bill, [order(a, 1000, "PARTIALLY_REFUNDED"), order(b, 250, "FUELLED")],
                       [RefundRecord(r, a, 400, "SUCCESS")])

    assert result.differences == ()
    assert (result.matched_count, result.matched_amount_fen) == (2, 1250)
    assert (result.refunds_matched_count, result.refunds_matched_amount_fen) == (1, 400)
    assert (result.fee_total_milli_fen, result.fees_fen) == (5100, 5)


def test_payment_we_still_hold_as_pending_is_healed_by_marking_it_paid():
    a = new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1000).parse(),
                                           [order(a, 1000, "PENDING_PAYMENT")], []))

    assert (difference.kind, difference.action) == (PAID_NOT_RECORDED, MARK_PAID)
    assert difference.expected == Seen("PENDING_PAYMENT", 1000)
    assert difference.actual == Seen("SUCCESS", 1000)
    assert (difference.order_id, difference.station_id) == ("order-" + a, "station-1")
    assert difference.transaction_id == tx(a) and difference.bill_line == 2


def test_payment_for_an_order_we_closed_is_to_be_refunded():
    a = new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1000).parse(),
                                           [order(a, 1000, "CLOSED")], []))

    assert (difference.kind, difference.action) == (PAID_NOT_RECORDED, REFUND)


def test_order_we_hold_as_paid_but_absent_from_the_bill_is_missing_in_bill():
    a, b = new_no(), new_no()

    difference = only_difference(reconcile(BillText().pay(a, 100).parse(),
                                           [order(a, 100), order(b, 700, "FUELLED")], []))

    assert (difference.kind, difference.out_trade_no) == (MISSING_IN_BILL, b)
    assert difference.action == QUERY_PAYMENT
    assert (difference.expected, difference.actual) == (Seen("FUELLED", 700), None)


def test_unpaid_orders_absent_from_the_bill_are_no_difference():
    result = reconcile(BillText().parse(), [order(new_no(), 100, "PENDING_PAYMENT"),
                                            order(new_no(), 100, "CLOSED")], [])

    assert result.differences == () and result.matched_count == 0


def test_billed_amount_other_than_ours_is_an_amount_mismatch():
    a = new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1001).parse(), [order(a, 1000)], []))

    assert (difference.kind, difference.action) == (AMOUNT_MISMATCH, INVESTIGATE)
    assert (difference.expected.amount_fen, difference.actual.amount_fen) == (1000, 1001)


def test_amount_mismatch_on_a_pending_order_is_never_marked_paid():
    a = new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1).parse(),
                                           [order(a, 1000, "PENDING_PAYMENT")], []))

    assert (difference.kind, difference.action) == (AMOUNT_MISMATCH, INVESTIGATE)


def test_billed_refund_we_have_no_record_of_is_a_refund_mismatch():
    a, r = new_no(), new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1000).refund(a, r, 300).parse(),
                                           [order(a, 1000)], []))

    assert (difference.kind, difference.out_refund_no) == (REFUND_MISMATCH, r)
    assert difference.action == QUERY_REFUND
    assert (difference.expected, difference.actual) == (None, Seen("SUCCESS", 300))
    assert difference.station_id == "station-1"


def test_refund_billed_for_another_amount_is_a_refund_mismatch():
    a, r = new_no(), new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1000).refund(a, r, 300).parse(),
                                           [order(a, 1000)], [RefundRecord(r, a, 200, "SUCCESS")]))

    assert difference.kind == REFUND_MISMATCH
    assert (difference.expected, difference.actual) == (Seen("SUCCESS", 200), Seen("SUCCESS", 300))


def test_refund_billed_as_succeeded_that_we_hold_as_closed_is_a_refund_mismatch():
    a, r = new_no(), new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1000).refund(a, r, 300).parse(),
                                           [order(a, 1000)], [RefundRecord(r, a, 300, "CLOSED")]))

    assert (difference.kind, difference.expected.status) == (REFUND_MISMATCH, "CLOSED")


def test_refund_billed_while_processing_matches_whatever_it_became():
    a, r = new_no(), new_no()
    bill = BillText().pay(a, 1000).refund(a, r, 300, status="PROCESSING").parse()

    result = reconcile(bill, [order(a, 1000, "REFUNDED")], [RefundRecord(r, a, 300, "SUCCESS")])

    assert result.differences == () and result.refunds_matched_count == 1


def test_refund_we_saw_succeed_but_the_bill_lacks_is_a_refund_mismatch():
    a, r, pending = new_no(), new_no(), new_no()

    difference = only_difference(reconcile(
        BillText().pay(a, 1000).parse(), [order(a, 1000)],
        [RefundRecord(r, a, 300, "SUCCESS"), RefundRecord(pending, a, 100, "PROCESSING")]))

    assert (difference.kind, difference.out_refund_no) == (REFUND_MISMATCH, r)
    assert (difference.expected, difference.actual) == (Seen("SUCCESS", 300), None)
    assert difference.order_id == "order-" + a


def test_same_order_paid_twice_in_the_bill_is_a_duplicate():
    a = new_no()

    result = reconcile(BillText().pay(a, 1000).pay(a, 1000, transaction_id="4200other").parse(),
                       [order(a, 1000)], [])

    difference = only_difference(result)
    assert (difference.kind, difference.bill_line, difference.action) == (DUPLICATE, 3, INVESTIGATE)
    assert difference.transaction_id == "4200other"
    assert result.matched_count == 1


def test_bill_transaction_other_than_the_one_we_recorded_is_a_duplicate():
    a = new_no()

    difference = only_difference(reconcile(BillText().pay(a, 1000).parse(),
                                           [order(a, 1000, transaction_id="4200ours")], []))

    assert difference.kind == DUPLICATE


def test_same_refund_twice_in_the_bill_is_a_duplicate():
    a, r = new_no(), new_no()
    bill = BillText().pay(a, 1000).refund(a, r, 300).refund(a, r, 300).parse()

    result = reconcile(bill, [order(a, 1000)], [RefundRecord(r, a, 300, "SUCCESS")])

    difference = only_difference(result)
    assert (difference.kind, difference.out_refund_no, difference.bill_line) == (DUPLICATE, r, 4)
    assert result.refunds_matched_count == 1


def test_billed_payment_for_an_order_we_do_not_have_is_an_unknown_order():
    stranger = new_no()

    difference = only_difference(reconcile(BillText().pay(stranger, 500).parse(), [], []))

    assert (difference.kind, difference.out_trade_no) == (UNKNOWN_ORDER, stranger)
    assert difference.action == INVESTIGATE
    assert (difference.expected, difference.order_id, difference.station_id) == (None, None, None)


def messy_day():
    ids = [f"{i:02d}{new_no()}" for i in range(7)]
    bill = (BillText().pay(ids[0], 100).pay(ids[1], 200).pay(ids[1], 200).pay(ids[2], 300)
            .pay(ids[3], 400).refund(ids[0], "R" + ids[0], 50).refund(ids[4], "R" + ids[4], 10)
            .parse())
    orders = [order(ids[0], 100), order(ids[1], 200), order(ids[2], 301),
              order(ids[5], 600, "FUELLED"), order(ids[6], 700, "PENDING_PAYMENT")]
    refunds = [RefundRecord("R" + ids[0], ids[0], 50, "SUCCESS"),
               RefundRecord("R" + ids[5], ids[5], 5, "SUCCESS")]
    return bill, orders, refunds


def test_reconciling_the_same_day_again_gives_an_equal_result():
    bill, orders, refunds = messy_day()

    first = reconcile(bill, orders, refunds)
    again = reconcile(bill, list(reversed(orders)), list(reversed(refunds)))

    assert first == again
    assert [d.kind for d in first.differences] == [
        AMOUNT_MISMATCH, DUPLICATE, MISSING_IN_BILL, REFUND_MISMATCH, REFUND_MISMATCH,
        UNKNOWN_ORDER]


@st.composite
def day_of_records(draw):
    """Orders paid in the day, with refunds that never exceed what was paid."""
    orders, refunds = [], []
    statuses = st.sampled_from(["PAID", "FUELLED", "PARTIALLY_REFUNDED", "REFUNDED"])
    for index in range(draw(st.integers(0, 25))):
        out_trade_no = f"T{index:06d}"
        paid = draw(st.integers(1, 10**7))
        orders.append(order(out_trade_no, paid, draw(statuses), f"station-{index % 3}",
                            tx(out_trade_no)))
        left = paid
        for part in range(draw(st.integers(0, 3))):
            if left == 0:
                break
            amount = draw(st.integers(1, left))
            left -= amount
            refunds.append(RefundRecord(f"R{index:06d}{part}", out_trade_no, amount,
                                        draw(st.sampled_from(["SUCCESS", "PROCESSING"]))))
    return orders, refunds


@given(day_of_records(), st.integers(0, 10**5))
def test_bill_built_from_our_own_records_reconciles_without_differences(records, fee):
    orders, refunds = records
    bill = BillText()
    for o in orders:
        bill.pay(o.out_trade_no, o.pay_amount_fen, fee=fee)
    for r in refunds:
        bill.refund(r.out_trade_no, r.out_refund_no, r.amount_fen, status=r.status, fee=-fee)

    result = reconcile(bill.parse(), orders, refunds)

    assert result.differences == ()
    assert (result.matched_count, result.matched_amount_fen) == (
        len(orders), sum(o.pay_amount_fen for o in orders))
    assert (result.refunds_matched_count, result.refunds_matched_amount_fen) == (
        len(refunds), sum(r.amount_fen for r in refunds))
    assert result.fee_total_milli_fen == fee * (len(orders) - len(refunds))
