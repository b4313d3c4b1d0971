"""Wallet top-ups in the daily reconciliation: their rows of WeChat Pay's trade bill (out_trade_no
"TU...", refunds "TU...-R") are matched against the topups table, apart from the orders.

Top-ups are the chain's money (prepaid balance), not a station's sale, so their rows are taken
out of the bill before the orders are matched and the stations settled (services/reconciliation/daily.py):
they appear in no station's settlement. Our side of the day is every top-up paid that Asia/Shanghai
day (index `by-paid-day`) plus every top-up a bill row names; the matching itself is the orders'
(domain/reconciliation.reconcile), with a top-up's status told in the orders' words (paid here and
billed there with the same amount and transaction = matched). Differences are recorded under
station id WALLET_TOPUPS; a payment billed but not recorded here is healed by asking WeChat Pay and
applying it the webhook's way (services/topups.sync_payment), once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.errors import Conflict, UpstreamUnavailable
from chalicelib.domain.orders.lifecycle import PaymentMismatch
from chalicelib.domain.reconciliation.matching import (
    MARK_PAID, REFUND, Difference, OrderRecord, RefundRecord, reconcile)
from chalicelib.domain.times import business_day
from chalicelib.domain.wallet.topups import (
    CLOSED, PENDING_PAYMENT, REFUNDED, Topup, is_topup_id, refund_no_of)
from chalicelib.domain.reconciliation.report import RecordedDifference, first_seen
from chalicelib.domain.reconciliation.tradebill import TradeBill
from chalicelib.providers.wechatpay import WeChatPayError
from chalicelib.services.reconciliation import healing
from chalicelib.services.wallet import topups
from chalicelib.store.reconciliation import results as store
from chalicelib.store.wallet import topups as topup_store

TOPUPS = "WALLET_TOPUPS"
ACTOR = "job:reconciliation"
HEAL_ACTIONS = (MARK_PAID, REFUND)
# A top-up's status in the orders' words: anything paid here is "PAID" (REFUNDED once refunded).
_AS_ORDER = {PENDING_PAYMENT: "PENDING_PAYMENT", CLOSED: "CLOSED", REFUNDED: "REFUNDED"}


@dataclass(frozen=True)
class TopupDay:
    bill: TradeBill  # the bill without top-up rows: the orders' and the stations' part
    entries: frozenset[str]  # difference entries recorded for top-ups (kept by the day's run)
    summary: dict


def reconcile_topups(bill_date: date, bill: TradeBill, now: datetime) -> TopupDay:
    key = bill_date.isoformat()
    payments = tuple(row for row in bill.payments if is_topup_id(row.out_trade_no))
    refunds = tuple(row for row in bill.refunds if is_topup_id(row.out_trade_no))
    rest = TradeBill(tuple(r for r in bill.payments if not is_topup_id(r.out_trade_no)),
                     tuple(r for r in bill.refunds if not is_topup_id(r.out_trade_no)), bill.summary)
    ours = {t.id: t for t in topup_store.paid_on(key)}
    ours.update(topup_store.by_ids({row.out_trade_no for row in payments + refunds} - ours.keys()))
    billed_refunds = {row.out_refund_no for row in refunds}
    our_refunds = [_refund_record(t) for t in ours.values() if t.refund_status and (
        refund_no_of(t.id) in billed_refunds or _day(t.refund_requested_at) == key)]
    result = reconcile(TradeBill(payments, refunds, bill.summary),
                       _records(ours, store.differences(key)), our_refunds)
    entries = frozenset(_record(key, d, ours, now) for d in result.differences)
    return TopupDay(rest, entries, {
        "bill_rows": len(payments) + len(refunds),
        "matched_count": result.matched_count, "matched_amount_fen": result.matched_amount_fen,
        "refunds_matched_count": result.refunds_matched_count,
        "refunds_matched_amount_fen": result.refunds_matched_amount_fen,
        "fee_milli_fen": sum(row.fee_milli_fen for row in payments + refunds),
        "differences": len(result.differences)})


def _day(moment: datetime | None) -> str | None:
    return business_day(moment).isoformat() if moment else None


def _records(ours: dict[str, Topup], earlier: list[RecordedDifference]) -> list[OrderRecord]:
    """Our top-ups for the matching, each healed one as it stood when first found different (so
    a re-run classifies the day as the first run did, like the orders)."""
    before = {d.out_trade_no: d for d in earlier if d.action in HEAL_ACTIONS}
    records = []
    for topup in ours.values():
        snapshot = before.get(topup.id)
        status = snapshot.expected.status if snapshot else _AS_ORDER.get(topup.status, "PAID")
        transaction_id = snapshot.order_transaction_id if snapshot else topup.transaction_id
        records.append(OrderRecord(topup.id, topup.id, TOPUPS, status, topup.amount_fen,
                                   transaction_id))
    return records


def _refund_record(topup: Topup) -> RefundRecord:
    return RefundRecord(refund_no_of(topup.id), topup.id, topup.amount_fen, topup.refund_status)


def _record(key: str, d: Difference, ours: dict[str, Topup], now: datetime) -> str:
    entry = store.difference_entry(d.kind, d.out_trade_no, d.out_refund_no, d.bill_line)
    held = ours.get(d.out_trade_no)
    heal = d.action in HEAL_ACTIONS and held is not None
    outcome = store.record_difference(key, entry, first_seen(
        d, order_id=None, station_id=TOPUPS,
        order_transaction_id=held.transaction_id if held else None,
        outcome=healing.PENDING if heal else healing.REPORTED))
    if heal and outcome in healing.RETRYABLE:
        new_outcome, detail = _heal(held, now)
        store.set_outcome(key, entry, outcome, new_outcome, detail)
    return entry


def _heal(topup: Topup, now: datetime) -> tuple[str, str]:
    try:
        after = topups.sync_payment(topup, actor=ACTOR, now=now)
    except PaymentMismatch as err:
        return healing.REFUSED, err.message
    except (UpstreamUnavailable, WeChatPayError, Conflict) as err:
        return healing.FAILED, f"not healed yet, tried again next run: {err.code}"
    if after.transaction_id is None:
        return healing.NOT_PAID, "WeChat Pay does not report the top-up paid"
    return healing.HEALED, f"top-up {after.status} with transaction {after.transaction_id}"
