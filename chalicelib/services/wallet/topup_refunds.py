"""The full refund of a top-up that no longer fit under the cap when it was paid: sent to WeChat
Pay with its one fixed number "<topup id>-R" (a resend can never refund twice), settled once by
WeChat Pay's answer, its REFUND.* notification, or the minute schedule's query
(services/wallet/topup_expiry.py), whichever comes first."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import Conflict, UpstreamUnavailable
from chalicelib.domain.orders.lifecycle import PaymentMismatch
from chalicelib.domain.orders.refunds import RefundStatus
from chalicelib.domain.wallet.topups import (
    FINAL_REFUND, OVER_CAP_REASON, REFUND_FAILED, Topup, refund_finished, refund_no_of)
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError, get_wechatpay
from chalicelib.services.orders.changes import notify_url
from chalicelib.store.retries import retry_lost_writes
from chalicelib.store.wallet import topups as store

TOPUP_BUSY = "the top-up is being changed by someone else; try again"

# WeChat Pay answers that mean it refused the refund for good (services/orders/refunds.py, same list).
_REFUSED = {"INVALID_REQUEST", "PARAM_ERROR", "RESOURCE_NOT_EXISTS", "USER_ACCOUNT_ABNORMAL"}


def submit_refund(topup: Topup, *, now: datetime) -> Topup:
    """Send the top-up's full refund to WeChat Pay (same number every time) and apply a final
    answer; what is not final stays REFUNDING for the minute schedule. Never raises for WeChat
    Pay's sake."""
    log, out_refund_no = get_logger(), refund_no_of(topup.id)
    try:
        answer = get_wechatpay().create_refund(topup.id, out_refund_no, topup.amount_fen,
                                               topup.amount_fen, OVER_CAP_REASON, notify_url())
    except WeChatPayError as err:
        if err.status == 400 or err.code in _REFUSED:
            return finish_refund(topup.id, RefundStatus.CLOSED, now=now,
                                 failure_reason=f"{err.code}: {err.message}"[:200])
        log.warning("top-up refund not accepted yet", extra={"topup_id": topup.id, "code": err.code})
        return topup
    except UpstreamUnavailable as err:
        log.warning("top-up refund not sent", extra={"topup_id": topup.id, "error": repr(err)})
        return topup
    if answer.get("status") in FINAL_REFUND:
        return finish_refund(topup.id, answer["status"], now=now)
    return topup


def finish_refund(topup_id: str, refund_status: str, *, now: datetime,
                  failure_reason: str | None = None) -> Topup:
    """Record the refund's answer once (a repeat changes nothing)."""
    def attempt(_: int) -> tuple[Topup, bool]:
        topup = store.get_topup(topup_id)
        after = refund_finished(topup, refund_status, at=now, failure_reason=failure_reason)
        return (topup, False) if after is None else (store.commit(topup, after), True)
    stored, written = retry_lost_writes(attempt, store.StaleTopup,
                                        busy=Conflict(TOPUP_BUSY, code="TOPUP_BUSY"))
    if written and stored.status == REFUND_FAILED:
        get_logger().error("a top-up's refund did not reach the driver", extra={
            "topup_id": topup_id, "refund_status": refund_status, "reason": stored.failure_reason})
    return stored


def apply_refund_notification(event_type: str, resource: dict, *, actor: str,
                              now: datetime) -> Topup:
    """REFUND.SUCCESS / ABNORMAL / CLOSED of a top-up's refund; PaymentMismatch if it does not fit."""
    topup = store.get_topup(str(resource.get("out_trade_no", "")))
    if (resource.get("mchid") != get_wechatpay().mchid or topup is None
            or topup.refund_status is None or resource.get("out_refund_no") != refund_no_of(topup.id)):
        raise PaymentMismatch("the refund is not one of ours")
    try:
        amount = int(resource["amount"]["refund"])
    except (KeyError, TypeError, ValueError) as err:
        raise PaymentMismatch("the refund notification is malformed") from err
    status = resource.get("refund_status")
    if amount != topup.amount_fen or status not in FINAL_REFUND or event_type != f"REFUND.{status}":
        raise PaymentMismatch("the refund notification does not match the top-up's refund")
    get_logger().info("top-up refund notified", extra={"topup_id": topup.id, "actor": actor})
    return finish_refund(topup.id, status, now=now,
                         failure_reason=None if status == RefundStatus.SUCCESS else f"WeChat Pay: {status}")
