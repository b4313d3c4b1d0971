"""Daily reconciliation of one bill day: download WeChat Pay's trade bill, match it with our
orders and refunds, heal what is safe, record every difference, and settle each station.

`run_day` holds the day's lease (store/reconciliation/results.py) for the whole run. A bill not yet
generated, or WeChat Pay not answering, is recorded NOT_READY (the schedule tries again); a bill
that fails its hash or its format is REJECTED before anything is read or changed. A re-run
classifies the day exactly as the first run did: each healed order is reconciled as it stood when
its difference was first recorded, and a recorded heal is never attempted again.
"""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from chalicelib import metrics
from chalicelib.domain import times
from chalicelib.domain.errors import DomainError, UpstreamUnavailable
from chalicelib.domain.orders.ids import is_order_id, is_refund_no
from chalicelib.domain.reconciliation.matching import (
    MARK_PAID, REFUND, Difference, OrderRecord, RefundRecord, reconcile)
from chalicelib.domain.reconciliation.report import RecordedDifference, first_seen, station_day
from chalicelib.domain.reconciliation.settlement import UNATTRIBUTED, OrderFacts, settle
from chalicelib.domain.times import SHANGHAI
from chalicelib.domain.reconciliation.tradebill import (
    BillFormatError, BillSummary, TradeBill, parse_trade_bill)
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import (BillNotFound, BillNotReady, InvalidResponse,
                                            WeChatPayError, get_wechatpay)
from chalicelib.services.reconciliation import healing
from chalicelib.services.reconciliation import topups as reconciliation_topups
from chalicelib.store.reconciliation import results as store
from chalicelib.store.reconciliation import queries

NOT_READY, REJECTED, DONE, BUSY = "NOT_READY", "REJECTED", "DONE", "BUSY"
LEASE = timedelta(minutes=15)
HEAL_ACTIONS = (MARK_PAID, REFUND)
EMPTY_BILL = TradeBill((), (), BillSummary(0, 0, 0, 0, 0, 0, 0, 0))


def business_day(bill_date: date) -> tuple[datetime, datetime]:
    start = datetime(bill_date.year, bill_date.month, bill_date.day, tzinfo=SHANGHAI)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def run_day(bill_date: date, *, now: datetime | None = None) -> dict:
    """Reconcile one bill day; answers {bill_date, status, ...} as recorded."""
    now, key, token = now or times.now(), bill_date.isoformat(), uuid.uuid4().hex
    if not store.begin_run(key, token, now, LEASE):
        return {"bill_date": key, "status": BUSY}
    try:
        status, data = _run(bill_date, now)
        earlier = store.read_day(key)
        if status != DONE and earlier and earlier["status"] == DONE:
            # A failed re-run (WeChat Pay down, a bad download) never hides a finished day.
            store.release(key, token)
            return {"bill_date": key, "status": DONE, "rerun": status, **earlier["data"]}
    except BaseException:
        store.release(key, token)
        raise
    store.finish_run(key, token, status, data, now)
    if status == DONE:
        _count_differences(key, data["summary"])
    get_logger().info("reconciliation run", extra={"bill_date": key, "status": status})
    return {"bill_date": key, "status": status, **data}


def _count_differences(key: str, summary: dict) -> None:
    """The day's differences by kind, and how many are left open (not healed) for people."""
    for kind, n in summary["by_kind"].items():
        metrics.count(metrics.Metric.RECONCILIATION_DIFFERENCES, n, kind=kind)
    left = sum(1 for d in store.differences(key) if d.outcome != healing.HEALED)
    metrics.count(metrics.Metric.RECONCILIATION_OPEN, left)


def _failure(err: DomainError) -> dict:
    return {"error": {"code": err.code, "message": err.message}}


def _run(bill_date: date, now: datetime) -> tuple[str, dict]:
    log = get_logger()
    try:
        raw = get_wechatpay().download_trade_bill(bill_date)
    except BillNotReady as err:
        return NOT_READY, _failure(err)
    except BillNotFound:
        raw = None  # no trade that day: every payment we hold for it is a difference
    except InvalidResponse as err:  # fails its hash, not gzip, or an unverifiable answer
        log.error("trade bill rejected", extra={"bill_date": str(bill_date), "reason": err.message})
        return REJECTED, _failure(err)
    except UpstreamUnavailable as err:
        return NOT_READY, _failure(err)
    except WeChatPayError as err:
        log.error("trade bill refused", extra={"bill_date": str(bill_date), "code": err.code})
        return REJECTED, _failure(err)
    try:
        bill = EMPTY_BILL if raw is None else parse_trade_bill(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return REJECTED, _failure(BillFormatError("not UTF-8 text"))
    except BillFormatError as err:
        log.error("trade bill rejected", extra={"bill_date": str(bill_date), "reason": err.message})
        return REJECTED, _failure(err)
    return DONE, _reconcile_day(bill_date, bill, now)


def _load(bill_date: date, bill: TradeBill):
    start, end = business_day(bill_date)
    paid = {o.order_id: o for o in queries.orders_paid_between(start, end)}
    named = {row.out_trade_no for row in bill.payments if is_order_id(row.out_trade_no)}
    paid.update(queries.orders_by_id(named - paid.keys()))
    refunds = {r.out_refund_no: r for r in queries.refunds_requested_between(start, end)}
    refunds.update(queries.refunds_by_no({r.out_refund_no for r in bill.refunds
                                          if is_refund_no(r.out_refund_no)} - refunds.keys()))
    refunded_orders = {r.out_trade_no for r in bill.refunds if is_order_id(r.out_trade_no)}
    return paid, refunds, queries.orders_by_id(refunded_orders - paid.keys())


def _records(paid: dict, earlier: list[RecordedDifference]) -> list[OrderRecord]:
    """Our orders for the matching, each healed one as it stood when first found different."""
    before = {d.out_trade_no: d for d in earlier if d.action in HEAL_ACTIONS}
    records = []
    for order in paid.values():
        snapshot = before.get(order.order_id)
        status = snapshot.expected.status if snapshot else order.status
        transaction_id = snapshot.order_transaction_id if snapshot else order.transaction_id
        records.append(OrderRecord(order.order_id, order.order_id, order.station_id, status,
                                   order.pay_amount_fen, transaction_id))
    return records


def _reconcile_day(bill_date: date, bill: TradeBill, now: datetime) -> dict:
    key = bill_date.isoformat()
    # Wallet top-ups are matched on their own and kept out of the stations' settlement.
    topups = reconciliation_topups.reconcile_topups(bill_date, bill, now)
    bill = topups.bill
    paid, refunds, refunded_orders = _load(bill_date, bill)
    ours = [RefundRecord(r.out_refund_no, r.order_id, r.amount_fen, r.status)
            for r in refunds.values()]
    result = reconcile(bill, _records(paid, store.differences(key)), ours)
    owners = {**refunded_orders, **paid}
    entries = [_record(key, d, paid, owners, now) for d in result.differences]
    store.drop_reported_except(key, set(entries) | topups.entries)
    stations = settle(bill, {o.order_id: _facts(o) for o in owners.values()})
    unmatched = {d.bill_line for d in result.differences if d.out_refund_no is None}
    matched = _matched_by_station(bill, unmatched, owners)
    store.put_settlements(key, [station_day(s, matched) for s in stations])
    outcomes = Counter(d.outcome for d in store.differences(key))
    return {"summary": {
        "bill_rows": len(bill.payments) + len(bill.refunds),
        "matched_count": result.matched_count, "matched_amount_fen": result.matched_amount_fen,
        "refunds_matched_count": result.refunds_matched_count,
        "refunds_matched_amount_fen": result.refunds_matched_amount_fen,
        "fee_milli_fen": result.fee_total_milli_fen, "fee_fen": result.fees_fen,
        "differences": len(result.differences),
        "by_kind": dict(sorted(Counter(d.kind for d in result.differences).items())),
        "healed": outcomes.get(healing.HEALED, 0), "topups": topups.summary}}


def _record(key: str, d: Difference, paid: dict, owners: dict, now: datetime) -> str:
    """Store the difference once and heal it if that is safe and not yet done."""
    entry = store.difference_entry(d.kind, d.out_trade_no, d.out_refund_no, d.bill_line)
    order = paid.get(d.out_trade_no)
    owner = owners.get(d.out_trade_no)
    heal = d.action in HEAL_ACTIONS
    outcome = store.record_difference(key, entry, first_seen(
        d, order_id=d.order_id or (owner.order_id if owner else None),
        station_id=d.station_id or (owner.station_id if owner else None),
        order_transaction_id=order.transaction_id if order else None,
        outcome=healing.PENDING if heal else healing.REPORTED))
    if heal and outcome in healing.RETRYABLE:
        new_outcome, detail = healing.heal_payment(d.order_id, now=now)
        store.set_outcome(key, entry, outcome, new_outcome, detail)
    return entry


def _facts(order: queries.PaidOrder) -> OrderFacts:
    fuelled = order.actual_pump_amount_fen is not None
    return OrderFacts(
        station_id=order.station_id, grade=order.grade, liters_ml=order.liters_ml,
        gross_fen=order.actual_pump_amount_fen if fuelled else order.pump_amount_fen,
        charged_fen=order.actual_amount_fen if fuelled else order.pay_amount_fen)


def _matched_by_station(bill: TradeBill, unmatched: set, owners: dict) -> dict:
    """station id -> [count, fen] of its bill payments that matched without a difference."""
    matched: dict[str, list[int]] = {}
    for row in bill.payments:
        if row.line not in unmatched:
            owner = owners.get(row.out_trade_no)
            figures = matched.setdefault(owner.station_id if owner else UNATTRIBUTED, [0, 0])
            figures[0] += 1
            figures[1] += row.order_amount_fen
    return matched

