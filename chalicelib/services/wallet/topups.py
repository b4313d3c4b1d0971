"""Wallet top-ups through WeChat Pay: create one (same JSAPI flow as an order), apply its payment
once, and refund it in full when the balance can no longer take it.

Creation is idempotent per Idempotency-Key like orders: the top-up id is derived from (user,
key), its conditional put decides who was first, and the stored request hash tells a retry from
a reuse. A payment (notification, or a query's answer) arrives through
services/payments.apply_transaction, which checks appid and mchid for orders and top-ups alike
and hands top-ups here; amount and payer are checked against the top-up. Crediting is ONE
transaction: the top-up PENDING_PAYMENT -> PAID (conditional on the version read) and the
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
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError, get_wechatpay
from chalicelib.services import limits
from chalicelib.services.wallet import accounts
from chalicelib.services.orders import payments
from chalicelib.services.wallet.rules import bonus_rule
from chalicelib.services.orders.changes import ATTEMPTS, pause
from chalicelib.services.orders.views import utc_text
# The refund side, importable from here (services/orders/payments.py hands REFUND.* of top-ups here).
from chalicelib.services.wallet.topup_refunds import apply_refund_notification, submit_refund
from chalicelib.settings import get_settings
from chalicelib.store.wallet import accounts as account_store
from chalicelib.store.wallet import topups as store
from chalicelib.store.identity import users as user_store

__all__ = ["create_topup", "get_topup", "sync_payment", "apply_transaction",
           "apply_refund_notification", "submit_refund", "topup_view"]


def topup_view(topup: Topup) -> dict:
    return {"id": topup.id, "out_trade_no": topup.out_trade_no, "status": topup.status,
            "amount_fen": topup.amount_fen, "bonus_fen": topup.bonus_fen,
            "created_at": utc_text(topup.created_at), "expires_at": utc_text(topup.expires_at),
            "paid_at": utc_text(topup.paid_at), "closed_at": utc_text(topup.closed_at),
            "refunded_at": utc_text(topup.refunded_at)}


def _answer(topup: Topup, now: datetime) -> dict:
    # payments.payment_params reads the fields a top-up shares with an order (status,
    # expires_at, out_trade_no, description, pay_amount_fen, openid): one JSAPI flow for both.
    return {"topup": topup_view(topup), "payment": payments.payment_params(topup, now)}


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
    limits.cap_unpaid_topups(user_id, now=now)
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


def get_topup(user_id: str, topup_id: str, *, now: datetime) -> dict:
    """One of the driver's top-ups; a pending one is first checked at WeChat Pay (a late
    notification must not leave a paid top-up looking unpaid)."""
    topup = own_topup(user_id, topup_id)
    if topup.status == PENDING_PAYMENT:
        try:
            topup = sync_payment(topup, actor="job:topup-check-on-read", now=now)
        except PaymentMismatch as err:
            payments.security_event("QUERIED_PAYMENT_MISMATCH", topup_id=topup.id, reason=err.message)
        except (UpstreamUnavailable, WeChatPayError, Conflict) as err:
            get_logger().info("top-up payment check skipped", extra={"topup_id": topup.id,
                                                                      "code": err.code})
    return topup_view(topup)


def sync_payment(topup: Topup, *, actor: str, now: datetime) -> Topup:
    """Ask WeChat Pay about a top-up and apply a payment we were not told about."""
    answer = get_wechatpay().query_order(topup.id)
    if answer.get("trade_state") in payments.PAID_STATES:
        return payments.apply_transaction(answer, actor=actor, now=now)
    return topup


def _payment_facts(transaction: dict, now: datetime) -> tuple[str, int, str, datetime]:
    try:
        success = transaction.get("success_time")
        paid_at = datetime.fromisoformat(str(success).replace("Z", "+00:00")) if success else now
        return (str(transaction["transaction_id"]), int(transaction["amount"]["total"]),
                transaction["payer"]["openid"], paid_at)
    except (KeyError, TypeError, ValueError) as err:
        raise PaymentMismatch(f"the transaction is malformed: {err!r}") from err


def apply_transaction(transaction: dict, *, actor: str, now: datetime) -> Topup:
    """Apply a top-up's transaction (appid and mchid already checked by payments.py): credit it
    once, or refund it in full when it no longer fits under the cap. PaymentMismatch if the
    amount, payer or transaction do not fit the top-up."""
    topup = store.get_topup(str(transaction.get("out_trade_no", "")))
    if topup is None:
        raise PaymentMismatch("the transaction names no top-up of ours")
    if transaction.get("trade_state") not in payments.PAID_STATES:
        return topup
    transaction_id, amount_fen, openid, paid_at = _payment_facts(transaction, now)
    for attempt in range(ATTEMPTS):
        if check_payment(topup, transaction_id=transaction_id, amount_fen=amount_fen, openid=openid):
            return topup  # already applied (a repeated notification)
        if topup.status not in (PENDING_PAYMENT, CLOSED):
            raise PaymentMismatch(f"a top-up in status {topup.status} has no payment on record")
        account = account_store.get_account(topup.user_id)
        try:
            change = accounts.for_topup(account, topup.id, topup.amount_fen, bonus_rule(), now)
            after = paid(topup, transaction_id=transaction_id, paid_at=paid_at,
                         bonus_fen=change.after.bonus_fen - account.bonus_fen)
        except RuleViolation as err:
            if err.code != "TOPUP_OVER_CAP":
                raise
            change, after = None, refunding(topup, transaction_id=transaction_id,
                                            paid_at=paid_at, at=now)
        try:
            stored = store.commit(topup, after, change)
        except store.StaleTopup:
            pause(attempt)
            topup = store.get_topup(topup.id)
            continue
        get_logger().info("top-up paid", extra={"topup_id": topup.id, "actor": actor,
                                                "status": stored.status})
        if stored.status == REFUNDING:
            get_logger().warning("top-up over the cap when paid; refunding it in full",
                                 extra={"topup_id": topup.id, "transaction_id": transaction_id})
            return submit_refund(stored, now=now)
        return stored
    raise Conflict("the top-up is being changed by someone else; try again", code="TOPUP_BUSY")
