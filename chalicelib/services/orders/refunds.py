"""Refunds: a manager's refund, sending any refund to WeChat Pay, and applying its outcome.

A refund is first reserved on the order and recorded (one transaction, see domain/order_refunds),
then sent to WeChat Pay with its fixed out_refund_no, so sending it again (after a timeout, from
the follow-up schedule) can never refund twice. WeChat Pay's answer or its REFUND.* notification
settles it; a refund still PROCESSING is followed up by the schedule until it is final.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib import tracing
from chalicelib.domain.orders import refunds as rf
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, UpstreamUnavailable
from chalicelib.domain.identity.roles import MANAGERS
from chalicelib.domain.orders.ids import (
    check_idempotency_key, is_refund_no, manual_refund_no, request_hash)
from chalicelib.domain.orders.events import Transition
from chalicelib.domain.orders.lifecycle import PaymentMismatch
from chalicelib.domain.orders.refund_changes import refund_outcome, request_refund
from chalicelib.domain.orders.orders import WALLET, Order
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError, get_wechatpay
from chalicelib.services.orders import effects as order_effects
from chalicelib.services.orders.changes import (
    ORDER_BUSY, change_order, find_order, notify_url, staff_actor)
from chalicelib.store.orders import orders as order_store
from chalicelib.store.orders import refunds as refund_store
from chalicelib.store.retries import retry_lost_writes

REFUND_ROLES = MANAGERS
# WeChat Pay answers that mean it refused the refund for good (it will never be made).
_REFUSED = {"INVALID_REQUEST", "PARAM_ERROR", "RESOURCE_NOT_EXISTS", "USER_ACCOUNT_ABNORMAL"}
FINAL = (rf.SUCCESS, rf.CLOSED, rf.ABNORMAL)


class _AlreadyRequested(Exception):
    def __init__(self, refund: rf.Refund):
        super().__init__(refund.out_refund_no)
        self.refund = refund


@tracing.use_case("manual_refund")
def request_manual_refund(staff, order_id: str, amount_fen: int, reason: str,
                          idempotency_key: str | None, *, now: datetime) -> dict:
    """Refund part or all of a paid order; the same key and body answer the same refund."""
    key = check_idempotency_key(idempotency_key)
    if staff.role not in REFUND_ROLES:
        raise Forbidden("only a manager can refund", code="ROLE_NOT_ALLOWED")
    order = find_order(order_id)
    if order is None:
        raise NotFound("the order does not exist", code="ORDER_NOT_FOUND")
    if not staff.can_act_on_station(order.station_id):
        raise Forbidden("the order belongs to another station", code="NOT_YOUR_STATION")
    out_refund_no = manual_refund_no(order.id, key)
    fingerprint = request_hash({"amount_fen": amount_fen, "reason": reason})

    def decide(current: Order):
        existing = refund_store.get_refund(out_refund_no)
        if existing is not None:
            raise _AlreadyRequested(existing)
        return request_refund(current, out_refund_no=out_refund_no, amount_fen=amount_fen,
                              reason=reason, at=now, actor=staff_actor(staff),
                              request_hash=fingerprint)
    try:
        order, transition = change_order(order, decide)
        refund = submit(transition.refund_created, now=now)
    except _AlreadyRequested as replay:
        refund = replay.refund
        if refund.request_hash != fingerprint:
            raise Conflict("this Idempotency-Key was used for another refund",
                           code="IDEMPOTENCY_KEY_REUSED") from None
    return {"refund": refund, "order": order_store.get_order(order.id)}


def submit(refund: rf.Refund, *, now: datetime) -> rf.Refund:
    """Send the refund to WeChat Pay and apply a final answer; never raises for WeChat Pay's sake
    (what is not final is left PROCESSING for the follow-up schedule).

    A wallet order's refund never goes to WeChat Pay: it succeeds by crediting the wallet, in
    the transaction that settles it (services/orders/effects.py).
    """
    if refund.channel == WALLET:
        try:
            return apply_outcome(refund.out_refund_no, rf.SUCCESS, now=now, actor="wallet")
        except Conflict as err:  # WALLET_FULL: no room under the cap yet; the schedule retries
            get_logger().warning("wallet refund waits", extra={
                "out_refund_no": refund.out_refund_no, "code": err.code})
            return refund
    log = get_logger()
    try:
        answer = get_wechatpay().create_refund(
            refund.order_id, refund.out_refund_no, refund.amount_fen, refund.total_fen,
            refund.reason, notify_url())
    except WeChatPayError as err:
        if err.code == "NOT_ENOUGH":  # merchant balance short: same out_refund_no later
            log.warning("refund waits for the merchant balance",
                        extra={"out_refund_no": refund.out_refund_no})
        elif err.status == 400 or err.code in _REFUSED:
            log.error("WeChat Pay refused a refund", extra={
                "out_refund_no": refund.out_refund_no, "code": err.code, "reason": err.message})
            return apply_outcome(refund.out_refund_no, rf.CLOSED, now=now, actor="wechatpay:answer",
                                 failure_reason=f"{err.code}: {err.message}"[:200])
        else:
            log.warning("refund not accepted yet", extra={"out_refund_no": refund.out_refund_no,
                                                          "code": err.code})
        return refund
    except UpstreamUnavailable as err:  # no answer or an unverifiable one: the schedule asks again
        log.warning("refund not sent", extra={"out_refund_no": refund.out_refund_no,
                                              "error": repr(err)})
        return refund
    if answer.get("status") in FINAL:
        return apply_outcome(refund.out_refund_no, answer["status"], now=now,
                             actor="wechatpay:answer", refund_id=answer.get("refund_id"))
    return refund


@tracing.use_case("refund_outcome")
def apply_outcome(out_refund_no: str, status: str, *, now: datetime, actor: str,
                  refund_id: str | None = None, failure_reason: str | None = None) -> rf.Refund:
    """Settle the refund and its reservation on the order, once (repeats change nothing)."""
    def attempt(_: int) -> tuple[rf.Refund, Transition | None]:
        refund = refund_store.get_refund(out_refund_no)
        if refund is None:
            raise NotFound("no such refund", code="REFUND_NOT_FOUND")
        order = order_store.get_order(refund.order_id)
        transition = refund_outcome(order, refund, status, at=now, actor=actor,
                                    refund_id=refund_id, failure_reason=failure_reason)
        if transition is None:
            if refund.status == rf.SUCCESS == status:
                # A repeat gets a failed reversal request through; an invoice requested after
                # this refund already left it out, so only an older one is reversed.
                _reverse_invoice(order, refunded_at=refund.finished_at)
            return refund, None
        return refund, order_effects.commit(transition)
    refund, transition = retry_lost_writes(attempt, order_store.StaleWrite,
                                           busy=Conflict(ORDER_BUSY, code="ORDER_BUSY"))
    if transition is None:
        return refund
    finished = transition.refund_changed[1]
    if status == rf.SUCCESS:
        _reverse_invoice(transition.after, refunded_at=finished.finished_at)
    else:
        get_logger().error("refund did not reach the driver", extra={
            "out_refund_no": out_refund_no, "status": status, "kind": refund.kind,
            "order_id": refund.order_id, "reason": failure_reason})
    return finished


def _reverse_invoice(order: Order, *, refunded_at: datetime | None) -> None:
    """Money went back on an invoiced order: its invoice must be reversed (red letter), unless
    the invoice was requested after the refund (it invoiced what was left).

    Raises if that could not be asked for, so a repeated notification asks again.
    """
    if order.invoice_id:
        # Imported here: only refunds of invoiced orders need it.
        from chalicelib.services.invoices import requests as invoices
        outcome = invoices.on_order_refunded(order.id, refunded_at=refunded_at)
        get_logger().info("invoice of a refunded order", extra={
            "order_id": order.id, "invoice_id": order.invoice_id, "outcome": outcome})


def apply_notification(event_type: str, resource: dict, *, actor: str, now: datetime) -> None:
    """REFUND.SUCCESS / ABNORMAL / CLOSED; raises PaymentMismatch when it does not fit."""
    out_refund_no = str(resource.get("out_refund_no", ""))
    refund = refund_store.get_refund(out_refund_no) if is_refund_no(out_refund_no) else None
    status = resource.get("refund_status")
    if resource.get("mchid") != get_wechatpay().mchid or refund is None:
        raise PaymentMismatch("the refund is not one of ours")
    try:
        amount = int(resource["amount"]["refund"])
    except (KeyError, TypeError, ValueError) as err:
        raise PaymentMismatch("the refund notification is malformed") from err
    if (resource.get("out_trade_no") != refund.order_id or amount != refund.amount_fen
            or status not in FINAL or event_type != f"REFUND.{status}"):
        raise PaymentMismatch("the refund notification does not match the refund")
    apply_outcome(out_refund_no, status, now=now, actor=actor, refund_id=resource.get("refund_id"),
                  failure_reason=None if status == rf.SUCCESS else f"WeChat Pay: {status}")


def follow_up(now: datetime, *, resend_after_s: float = 15, limit: int = 100) -> dict:
    """For each refund still PROCESSING: ask WeChat Pay; resend one it never received."""
    counts = {"checked": 0, "settled": 0, "resent": 0, "failed": 0}
    for refund in refund_store.refunds_in_flight(now, limit):
        counts["checked"] += 1
        try:
            counts[_follow_up_one(refund, now, resend_after_s)] += 1
        except Exception:  # noqa: BLE001 - one bad refund must not stop the others
            get_logger().exception("refund follow-up failed", extra={
                "out_refund_no": refund.out_refund_no})
            counts["failed"] += 1
    return counts


def _follow_up_one(refund: rf.Refund, now: datetime, resend_after_s: float) -> str:
    if refund.channel == WALLET:  # its settling transaction did not get through: try it again
        return "settled" if submit(refund, now=now).status in FINAL else "checked"
    try:
        answer = get_wechatpay().query_refund(refund.out_refund_no)
    except WeChatPayError as err:
        if err.code != "RESOURCE_NOT_EXISTS" or err.status != 404:
            raise
        if (now - refund.requested_at).total_seconds() < resend_after_s:
            return "checked"  # the request that made it may still be sending it
        submit(refund, now=now)
        return "resent"
    if answer.get("status") in FINAL:
        apply_outcome(refund.out_refund_no, answer["status"], now=now,
                      actor="job:refund-follow-up", refund_id=answer.get("refund_id"),
                      failure_reason=None if answer["status"] == rf.SUCCESS
                      else f"WeChat Pay: {answer['status']}")
        return "settled"
    return "checked"
