"""A wallet top-up paid through WeChat Pay, and the life of its status.

Ids. A top-up id is "TU" + 26 base32 characters of a hash of (user, Idempotency-Key), exactly as
an order id is "FO" + 26 (domain/orders/ids.py): the same key from the same driver always names
the same top-up, it doubles as WeChat Pay's out_trade_no (28 of [0-9A-Z]), and the prefix tells
a top-up's payment, refund and bill rows from an order's. Its one refund is "<topup id>-R".

Status: PENDING_PAYMENT -> PAID (credited) | CLOSED (not paid in time) | REFUNDING (paid, but the
balance could no longer take it under the cap: refunded in full) -> REFUNDED | REFUND_FAILED
(WeChat Pay closed or could not make the refund: a person settles it). A payment that arrives
for a CLOSED top-up is credited like any other (the driver meant to top up; nothing else was
sold), or refunded when it does not fit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.orders.ids import _b32
from chalicelib.domain.orders.lifecycle import payment_on_record
from chalicelib.domain.orders.refunds import RefundStatus


class TopupStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    CLOSED = "CLOSED"
    REFUNDING = "REFUNDING"
    REFUNDED = "REFUNDED"
    REFUND_FAILED = "REFUND_FAILED"


PENDING_PAYMENT, PAID, CLOSED, REFUNDING, REFUNDED, REFUND_FAILED = tuple(TopupStatus)
# The answers about a refund that settle it one way or the other (ABNORMAL: for now).
FINAL_REFUND = (RefundStatus.SUCCESS, RefundStatus.CLOSED, RefundStatus.ABNORMAL)
TOPUP_ID_RE = re.compile(r"TU[A-Z2-7]{26}")
DESCRIPTION = "钱包充值"
OVER_CAP_REASON = "储值余额已达上限，充值全额退回"  # at most 80 characters (WeChat Pay's limit)


def topup_id_for(user_id: str, idempotency_key: str) -> str:
    return "TU" + _b32("topup", user_id, idempotency_key)


def is_topup_id(value: object) -> bool:
    return isinstance(value, str) and TOPUP_ID_RE.fullmatch(value) is not None


def refund_no_of(topup_id: str) -> str:
    return f"{topup_id}-R"


@dataclass(frozen=True)
class Topup:
    id: str
    user_id: str
    openid: str
    amount_fen: int
    request_hash: str
    created_at: datetime
    expires_at: datetime
    status: TopupStatus = PENDING_PAYMENT
    bonus_fen: int = 0  # expected when created; what was credited once PAID
    transaction_id: str | None = None
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    refund_status: RefundStatus | None = None  # WeChat Pay's answer about the refund
    refund_requested_at: datetime | None = None
    refunded_at: datetime | None = None
    failure_reason: str | None = None
    version: int = 0  # 0: not stored yet

    # What the JSAPI payment needs, named as for an order (services/orders/jsapi.payment_params).
    @property
    def out_trade_no(self) -> str:
        return self.id

    @property
    def pay_amount_fen(self) -> int:
        return self.amount_fen

    @property
    def description(self) -> str:
        return DESCRIPTION

    @property
    def out_refund_no(self) -> str | None:
        return refund_no_of(self.id) if self.refund_status else None

    @property
    def due_at(self) -> datetime | None:
        """When the minute schedule must look at it (None: never again)."""
        if self.status == PENDING_PAYMENT:
            return self.expires_at
        if self.status == REFUNDING:
            return self.refund_requested_at
        return None


def check_payment(topup: Topup, *, transaction_id: str, amount_fen: int, openid: str) -> bool:
    """True when this payment is already on record; raises PaymentMismatch when it does not fit."""
    return payment_on_record("top-up", due_fen=topup.amount_fen, payer=topup.openid,
                             recorded_id=topup.transaction_id, transaction_id=transaction_id,
                             amount_fen=amount_fen, openid=openid)


def paid(topup: Topup, *, transaction_id: str, paid_at: datetime, bonus_fen: int) -> Topup:
    return replace(topup, status=PAID, transaction_id=transaction_id, paid_at=paid_at,
                   bonus_fen=bonus_fen)


def refunding(topup: Topup, *, transaction_id: str, paid_at: datetime, at: datetime) -> Topup:
    """Paid, but the balance cannot take it: the whole payment goes back."""
    return replace(topup, status=REFUNDING, transaction_id=transaction_id, paid_at=paid_at,
                   bonus_fen=0, refund_status=RefundStatus.PROCESSING,
                   refund_requested_at=at)


def closed(topup: Topup, *, at: datetime) -> Topup | None:
    """PENDING_PAYMENT -> CLOSED; None when it is no longer pending."""
    if topup.status != PENDING_PAYMENT:
        return None
    return replace(topup, status=CLOSED, closed_at=at)


def refund_finished(topup: Topup, refund_status: RefundStatus, *, at: datetime,
                    failure_reason: str | None = None) -> Topup | None:
    """The refund's answer (SUCCESS, CLOSED, ABNORMAL); None if nothing changes. ABNORMAL (e.g. a
    closed bank card) is settled by hand at WeChat Pay and may still turn SUCCESS."""
    settling = topup.status == REFUNDING or (topup.status == REFUND_FAILED
                                            and topup.refund_status == RefundStatus.ABNORMAL)
    if not settling or refund_status == topup.refund_status or refund_status not in FINAL_REFUND:
        return None
    refund_status = RefundStatus(refund_status)  # as WeChat Pay's text may arrive
    if refund_status == RefundStatus.SUCCESS:
        return replace(topup, status=REFUNDED, refund_status=refund_status, refunded_at=at,
                       failure_reason=None)
    return replace(topup, status=REFUND_FAILED, refund_status=refund_status,
                   failure_reason=failure_reason or f"WeChat Pay: {refund_status}")
