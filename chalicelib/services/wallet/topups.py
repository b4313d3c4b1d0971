"""Wallet top-ups through WeChat Pay: create one (same JSAPI flow as an order), apply its payment
once, and refund it in full when the balance can no longer take it.

Creation is idempotent per Idempotency-Key like orders: the top-up id is derived from (user,
key), its conditional put decides who was first, and the stored request hash tells a retry from
a reuse. A payment (notification, or a query's answer) arrives through
services/orders/payments.apply_transaction, which checks appid and mchid for orders and top-ups
alike (services/orders/jsapi.py) and hands top-ups here; amount and payer are checked against the
top-up. Crediting is ONE transaction: the top-up PENDING_PAYMENT -> PAID (conditional on the version read) and the
account change with its `topup` and `bonus` ledger entries. Ten copies of one notification race
to it; one commits, the others find it PAID on a re-read and change nothing.

Over the cap. The cap is checked when the top-up is created, but another top-up may land before
this one is paid. Then nothing is credited: the top-up turns REFUNDING in that same conditional
write (so it is decided once) and the whole payment is refunded at WeChat Pay with the one fixed
number "<topup id>-R", so any retry can never refund twice. The minute schedule
(services/wallet/topup_expiry.py) re-sends or asks after a refund until WeChat Pay answers for good.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.errors import Conflict, NotFound, RuleViolation, UpstreamUnavailable
from chalicelib.domain.orders.ids import check_idempotency_key, request_hash
from chalicelib.domain.orders.lifecycle import PaymentMismatch
from chalicelib.domain.wallet.topups import (
    CLOSED, PENDING_PAYMENT, REFUNDING, Topup, check_payment, is_topup_id, paid, refunding,
    topup_id_for)
from chalicelib.domain.wallet.balance import check_amount, top_up
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError, get_wechatpay
from chalicelib.services import limits
from chalicelib.domain.wallet.changes import for_topup
from chalicelib.services.orders import jsapi
from chalicelib.services.wallet.rules import bonus_rule
# The refund side, importable from here (services/orders/payments.py hands REFUND.* of top-ups here).
from chalicelib.services.wallet.topup_refunds import (
    TOPUP_BUSY, apply_refund_notification, submit_refund)
from chalicelib.settings import get_settings
from chalicelib.store.wallet import accounts as account_store
from chalicelib.store.wallet import topups as store
from chalicelib.store.identity import users as user_store
from chalicelib.store.retries import retry_lost_writes

__all__ = ["create_topup", "get_topup", "sync_payment", "apply_transaction",
           "apply_refund_notification", "submit_refund"]


def _answer(topup: Topup, now: datetime) -> dict:
    # jsapi.payment_params reads the fields a top-up shares with an order (status,
    # expires_at, out_trade_no, description, pay_amount_fen, openid): one JSAPI flow for both.
    return {"topup": topup, "payment": jsapi.payment_params(topup, now)}


def _replay(topup: Topup, fingerprint: str, now: datetime) -> dict:
    if topup.request_hash != fingerprint:
        raise Conflict("this Idempotency-Key was used for another top-up",
                       code="IDEMPOTENCY_KEY_REUSED")
    return _answer(topup, now)


def create_topup(user_id: str, amount_fen: int, idempotency_key: str | None, *,
                 now: datetime) -> dict:
    """Create a top-up of amount_fen and its WeChat Pay payment: {topup, payment}. The same key
    and amount answer the same top-up (payment None once it cannot be paid)."""
    topup_id = topup_id_for(user_id, check_idempotency_key(idempotency_key))
    fingerprint = request_hash({"amount_fen": amount_fen})
    existing = store.get_topup(topup_id)
    if existing is not None:
        return _replay(existing, fingerprint, now)
    check_amount(amount_fen)
    limits.cap_unpaid_topups(user_id, topup_id, now=now)
    preview = top_up(account_store.get_account(user_id).balance, amount_fen, rule=bonus_rule())
    user = user_store.get_user(user_id)
    if user is None:
        raise NotFound("the user does not exist", code="USER_NOT_FOUND")
    topup = Topup(id=topup_id, user_id=user_id, openid=user.openid, amount_fen=amount_fen,
                  request_hash=fingerprint, created_at=now, bonus_fen=preview.bonus_fen,
                  expires_at=now + timedelta(seconds=get_settings().topup_payment_ttl_s),
                  version=1)
    if not store.create(topup):  # the same key at the same moment: answer as a retry
        existing = store.get_topup(topup_id)
        if existing is None:
            raise Conflict("the top-up is being created; try again", code="TOPUP_BUSY")
        return _replay(existing, fingerprint, now)
    return _answer(topup, now)


def own_topup(user_id: str, topup_id: str) -> Topup:
    topup = store.get_topup(topup_id) if is_topup_id(topup_id) else None
    if topup is None or topup.user_id != user_id:
        raise NotFound("the top-up does not exist", code="TOPUP_NOT_FOUND")
    return topup


def get_topup(user_id: str, topup_id: str, *, now: datetime) -> Topup:
    """One of the driver's top-ups; a pending one is first checked at WeChat Pay (a late
    notification must not leave a paid top-up looking unpaid)."""
    topup = own_topup(user_id, topup_id)
    if topup.status == PENDING_PAYMENT:
        try:
            topup = sync_payment(topup, actor="job:topup-check-on-read", now=now)
        except PaymentMismatch as err:
            jsapi.security_event("QUERIED_PAYMENT_MISMATCH", topup_id=topup.id, reason=err.message)
        except (UpstreamUnavailable, WeChatPayError, Conflict) as err:
            get_logger().info("top-up payment check skipped", extra={"topup_id": topup.id,
                                                                      "code": err.code})
    return topup


def sync_payment(topup: Topup, *, actor: str, now: datetime) -> Topup:
    """Ask WeChat Pay about a top-up and apply a payment we were not told about."""
    answer = get_wechatpay().query_order(topup.id)
    if answer.get("trade_state") in jsapi.PAID_STATES:
        jsapi.check_merchant(answer)
        return apply_transaction(answer, actor=actor, now=now)
    return topup


def _payment_facts(transaction: dict, now: datetime) -> tuple[str, int, str, datetime]:
    try:
        success = transaction.get("success_time")
        paid_at = times.parse_iso(success) if success else now
        return (str(transaction["transaction_id"]), int(transaction["amount"]["total"]),
                transaction["payer"]["openid"], paid_at)
    except (KeyError, TypeError, ValueError) as err:
        raise PaymentMismatch(f"the transaction is malformed: {err!r}") from err


def apply_transaction(transaction: dict, *, actor: str, now: datetime) -> Topup:
    """Apply a top-up's transaction (appid and mchid already checked: jsapi.check_merchant): credit it
    once, or refund it in full when it no longer fits under the cap. PaymentMismatch if the
    amount, payer or transaction do not fit the top-up."""
    topup = store.get_topup(str(transaction.get("out_trade_no", "")))
    if topup is None:
        raise PaymentMismatch("the transaction names no top-up of ours")
    if transaction.get("trade_state") not in jsapi.PAID_STATES:
        return topup
    transaction_id, amount_fen, openid, paid_at = _payment_facts(transaction, now)
    def attempt(n: int) -> tuple[Topup, bool]:
        current = topup if n == 0 else store.get_topup(topup.id)
        if check_payment(current, transaction_id=transaction_id, amount_fen=amount_fen,
                         openid=openid):
            return current, False  # already applied (a repeated notification)
        if current.status not in (PENDING_PAYMENT, CLOSED):
            raise PaymentMismatch(f"a top-up in status {current.status} has no payment on record")
        account = account_store.get_account(current.user_id)
        try:
            change = for_topup(account, current.id, current.amount_fen, bonus_rule(), now)
            after = paid(current, transaction_id=transaction_id, paid_at=paid_at,
                         bonus_fen=change.after.bonus_fen - account.bonus_fen)
        except RuleViolation as err:
            if err.code != "TOPUP_OVER_CAP":
                raise
            change, after = None, refunding(current, transaction_id=transaction_id,
                                            paid_at=paid_at, at=now)
        return store.commit(current, after, change), True
    stored, written = retry_lost_writes(attempt, store.StaleTopup,
                                        busy=Conflict(TOPUP_BUSY, code="TOPUP_BUSY"))
    if not written:
        return stored
    get_logger().info("top-up paid", extra={"topup_id": topup.id, "actor": actor,
                                            "status": stored.status})
    if stored.status == REFUNDING:
        get_logger().warning("top-up over the cap when paid; refunding it in full",
                             extra={"topup_id": topup.id, "transaction_id": transaction_id})
        return submit_refund(stored, now=now)
    return stored
