"""A refund request and the life of its status at WeChat Pay.

PROCESSING -> SUCCESS | CLOSED | ABNORMAL, and ABNORMAL -> SUCCESS | CLOSED (an abnormal refund,
e.g. to a closed bank card, is settled by hand in the merchant platform and then reported
again). SUCCESS and CLOSED are final. The amount stays reserved on the order unless CLOSED.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.orders.orders import PayMethod


class RefundStatus(StrEnum):
    """WeChat Pay's own refund statuses, which we keep as they come."""
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    ABNORMAL = "ABNORMAL"


class RefundKind(StrEnum):
    """Why a refund was made."""
    SETTLEMENT = "SETTLEMENT"  # the driver prepaid more than was pumped (confirm)
    MANUAL = "MANUAL"  # a manager refunded part or all (wrong station, wrong amount, complaint)
    LATE_PAYMENT = "LATE_PAYMENT"  # paid after the order was closed: everything goes back


PROCESSING, SUCCESS, CLOSED, ABNORMAL = tuple(RefundStatus)
REFUND_STATUSES = tuple(RefundStatus)
_NEXT = {PROCESSING: {SUCCESS, CLOSED, ABNORMAL}, ABNORMAL: {SUCCESS, CLOSED},
         SUCCESS: set(), CLOSED: set()}

SETTLEMENT, MANUAL, LATE_PAYMENT = tuple(RefundKind)
REFUND_KINDS = tuple(RefundKind)
MAX_REASON_CHARS = 80  # WeChat Pay's limit on `reason`


def settlement_needs_manager(paid_fen: int, refund_fen: int, *, max_share_percent: int,
                             max_fen: int) -> bool:
    """Whether a confirmation refunding `refund_fen` of `paid_fen` is beyond an attendant:
    more than the share or more than the amount (exact integer comparison, no rounding)."""
    return refund_fen * 100 > paid_fen * max_share_percent or refund_fen > max_fen


@dataclass(frozen=True)
class Refund:
    out_refund_no: str
    order_id: str
    kind: RefundKind
    amount_fen: int
    total_fen: int  # the payment's total, which WeChat Pay wants with every refund
    reason: str
    requested_by: str
    requested_at: datetime
    status: RefundStatus = PROCESSING
    request_hash: str | None = None  # manager refunds: to tell a retry from another request
    refund_id: str | None = None  # WeChat Pay's id, known once it answered
    finished_at: datetime | None = None
    failure_reason: str | None = None
    channel: PayMethod = PayMethod.WECHATPAY  # where the money goes back: the order's pay method
    # Requested on an order already confirmed (so after it earned points); None on older records.
    after_confirmation: bool | None = None

    def takes_back_points(self, fuelled_at: datetime | None) -> bool:
        """Whether this refund, once it succeeds, takes back points and spend of an order confirmed
        at `fuelled_at`: only a refund requested after the confirmation does (the settlement refund
        and refunds requested before it were left out of what the order earned on). Older records
        without the flag decide by their request time."""
        if fuelled_at is None or self.kind != MANUAL:
            return False
        if self.after_confirmation is not None:
            return self.after_confirmation
        return self.requested_at > fuelled_at

    @property
    def in_flight(self) -> bool:
        """Still to be followed up by the schedule (ABNORMAL needs a person, not a poll)."""
        return self.status == PROCESSING


def can_finish(status_before: str, status_after: str) -> bool:
    return status_after in _NEXT.get(status_before, set())


def finish(refund: Refund, status: str, *, at: datetime, refund_id: str | None = None,
           failure_reason: str | None = None) -> Refund | None:
    """The refund with its new status, or None when that is already its status or it is final."""
    if status == refund.status or not can_finish(refund.status, status):
        return None
    return replace(refund, status=status, refund_id=refund_id or refund.refund_id,
                   finished_at=at if status in (SUCCESS, CLOSED) else refund.finished_at,
                   failure_reason=failure_reason if status in (CLOSED, ABNORMAL) else None)
