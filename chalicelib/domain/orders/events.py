"""The order history: one immutable event per change of an order, and the transition carrying them.

An event's `seq` is the order's version after the change, so the history of an order is
numbered 1, 2, 3 ... without gaps, and two writers can never both append "the" PAID event:
the event item and the order's version move together in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Mapping


class OrderEventType(StrEnum):
    ORDER_CREATED = "ORDER_CREATED"
    ORDER_PAID = "ORDER_PAID"
    ORDER_CLOSED = "ORDER_CLOSED"
    ORDER_FUELLED = "ORDER_FUELLED"
    PAYMENT_AFTER_CLOSE = "PAYMENT_AFTER_CLOSE"
    REFUND_REQUESTED = "REFUND_REQUESTED"
    REFUND_SUCCEEDED = "REFUND_SUCCEEDED"
    REFUND_FAILED = "REFUND_FAILED"
    REFUND_ABNORMAL = "REFUND_ABNORMAL"
    # A driver's refund request (domain/orders/refund_requests.py) and its answers.
    REFUND_REQUEST_OPENED = "REFUND_REQUEST_OPENED"
    REFUND_REQUEST_APPROVED = "REFUND_REQUEST_APPROVED"
    REFUND_REQUEST_DECLINED = "REFUND_REQUEST_DECLINED"
    REFUND_REQUEST_AUTO_APPROVED = "REFUND_REQUEST_AUTO_APPROVED"


(ORDER_CREATED, ORDER_PAID, ORDER_CLOSED, ORDER_FUELLED, PAYMENT_AFTER_CLOSE, REFUND_REQUESTED,
 REFUND_SUCCEEDED, REFUND_FAILED, REFUND_ABNORMAL, REFUND_REQUEST_OPENED, REFUND_REQUEST_APPROVED,
 REFUND_REQUEST_DECLINED, REFUND_REQUEST_AUTO_APPROVED) = tuple(OrderEventType)
EVENT_TYPES = tuple(OrderEventType)


@dataclass(frozen=True)
class OrderEvent:
    order_id: str
    seq: int
    type: OrderEventType
    at: datetime
    actor: str  # "driver:<user>", "staff:<id>:<role>", "wechatpay:<notification id>", "job:<name>"
    status_before: str | None  # an OrderStatus (orders.py, which imports this module)
    status_after: str
    # pay_amount_fen, actual_amount_fen, refunded_fen, refund_reserved_fen: every fen is traceable
    amounts_before: Mapping[str, int]
    amounts_after: Mapping[str, int]
    provider_ids: Mapping[str, str] = field(default_factory=dict)  # out_trade_no, transaction_id ...
    reason: str | None = None


@dataclass(frozen=True)
class Transition:
    """One change of one order: what it was, what it becomes, and the events that record it.

    `refund_created` / `refund_changed` (before, after) are written in the same transaction, so
    reserving money for a refund and creating the refund record cannot come apart.
    """
    before: Any  # Order | None (None: the order is being created)
    after: Any  # Order
    events: tuple[OrderEvent, ...]
    refund_created: Any = None  # Refund | None
    refund_changed: tuple | None = None  # (Refund, Refund) | None
