"""The minute schedule's share for top-ups (hooked into jobs/payments.expire_unpaid_orders),
the same pattern as services/orders/payment_expiry.py for orders.

For each top-up on the sparse `in-flight` index that is due:
- PENDING_PAYMENT past its expiry: WeChat Pay is asked; paid -> credited (the notification was
  lost); never created there -> CLOSED here; otherwise closed there first, then CLOSED here.
- REFUNDING (paid over the cap): its refund is asked after, re-sent if WeChat Pay never got it,
  and settled when WeChat Pay answers for good.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.orders.refunds import RefundStatus
from chalicelib.domain.wallet.topups import PENDING_PAYMENT, REFUNDING, Topup, closed, refund_no_of
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError, get_wechatpay
from chalicelib.services.orders import payments
from chalicelib.services.wallet import topup_refunds, topups
from chalicelib.store.retries import retry_lost_writes
from chalicelib.store.wallet import topups as store

ACTOR = "job:topup-expiry"
RESEND_AFTER = timedelta(seconds=15)  # a refund just requested may still be on its way


def settle_due(now: datetime, *, limit: int = 100) -> dict:
    counts = {"paid": 0, "closed": 0, "checked": 0, "resent": 0, "settled": 0, "failed": 0}
    for topup_id in store.due_topups(now, limit):
        topup = store.get_topup(topup_id)
        if topup is None or topup.due_at is None or topup.due_at > now:
            continue  # the index lags the table: already settled
        try:
            if topup.status == PENDING_PAYMENT:
                counts[_expire(topup, now)] += 1
            elif topup.status == REFUNDING:
                counts[_follow_up_refund(topup, now)] += 1
        except Exception:  # noqa: BLE001 - one top-up must not stop the others; next run retries
            get_logger().exception("top-up follow-up failed", extra={"topup_id": topup_id})
            counts["failed"] += 1
    return counts


def _expire(topup: Topup, now: datetime) -> str:
    state = payments.overdue_state(topup.id, actor=ACTOR, now=now)
    if state == "paid":
        return "paid"
    if state == "open":
        try:
            get_wechatpay().close_order(topup.id)
        except WeChatPayError as err:
            if err.code == "ORDERPAID":  # paid between the query and the close
                topups.sync_payment(topup, actor=ACTOR, now=now)
                return "paid"
            if err.code not in ("ORDER_NOT_EXIST", "ORDER_CLOSED"):
                raise
    _close_here(topup, now)
    return "closed"


def _close_here(topup: Topup, now: datetime) -> None:
    def attempt(n: int) -> None:
        current = topup if n == 0 else store.get_topup(topup.id)
        after = closed(current, at=now)
        if after is not None:
            store.commit(current, after)
    retry_lost_writes(attempt, store.StaleTopup,
                      busy=RuntimeError(f"top-up {topup.id} kept changing while being closed"))


def _follow_up_refund(topup: Topup, now: datetime) -> str:
    try:
        answer = get_wechatpay().query_refund(refund_no_of(topup.id))
    except WeChatPayError as err:
        if err.code != "RESOURCE_NOT_EXISTS" or err.status != 404:
            raise
        if now - topup.refund_requested_at < RESEND_AFTER:
            return "checked"
        topup_refunds.submit_refund(topup, now=now)
        return "resent"
    if answer.get("status") in topup_refunds.FINAL_REFUND:
        status = answer["status"]
        topup_refunds.finish_refund(topup.id, status, now=now,
                             failure_reason=None if status == RefundStatus.SUCCESS else f"WeChat Pay: {status}")
        return "settled"
    return "checked"
