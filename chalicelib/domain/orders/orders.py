"""An order and its state machine: which status may follow which, as pure rules.

    PENDING_PAYMENT -> PAID -> FUELLED
    PENDING_PAYMENT -> CLOSED                     (cancel, time-out)
    PAID | FUELLED | PARTIALLY_REFUNDED -> PARTIALLY_REFUNDED | REFUNDED   (a refund succeeds)
    PARTIALLY_REFUNDED (not yet fuelled) -> stays, fuelled_at set          (confirm)

Money on an order (integer fen): `pay_amount_fen` was paid; `refund_reserved_fen` is every refund
requested and not failed (pending + succeeded), `refunded_fen` those that succeeded. A refund is
only ever requested out of `refundable_fen` = pay - reserved, inside the same conditional write
that creates it, so refunds can never add up to more than was paid.
The refund of the difference after a confirmation settles the sale and leaves the status
FUELLED; any other refund makes it PARTIALLY_REFUNDED, or REFUNDED once everything went back.
A payment that arrives for a CLOSED order is recorded and refunded in full; the order stays CLOSED.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.orders.events import OrderEvent



class OrderStatus(StrEnum):
    """Stored and shown as its value; a StrEnum, so a status read back as text compares equal."""
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    FUELLED = "FUELLED"
    CLOSED = "CLOSED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class PayMethod(StrEnum):
    WECHATPAY = "wechatpay"
    WALLET = "wallet"


# The members under their short names, as the order modules use them.
PENDING_PAYMENT, PAID, FUELLED, CLOSED = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID,
                                          OrderStatus.FUELLED, OrderStatus.CLOSED)
PARTIALLY_REFUNDED, REFUNDED = OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED
STATUSES = tuple(OrderStatus)
ALLOWED = {
    PENDING_PAYMENT: {PAID, CLOSED},
    PAID: {FUELLED, PARTIALLY_REFUNDED, REFUNDED},
    FUELLED: {PARTIALLY_REFUNDED, REFUNDED},
    PARTIALLY_REFUNDED: {REFUNDED},
    CLOSED: set(),
    REFUNDED: set(),
}
WECHATPAY, WALLET = PayMethod.WECHATPAY, PayMethod.WALLET
PAY_METHODS = tuple(PayMethod)
MIN_ORDER_FEN = 100  # 1 yuan
MAX_REFUNDS_PER_ORDER = 50  # WeChat Pay allows at most 50 partial refunds of one payment


def can_transition(status_before: str, status_after: str) -> bool:
    return status_before == status_after or status_after in ALLOWED.get(status_before, set())


def check_amount(amount_fen: int, max_fen: int) -> None:
    if amount_fen < MIN_ORDER_FEN:
        raise InvalidInput(f"amount_fen must be at least {MIN_ORDER_FEN} (1 yuan)",
                           code="AMOUNT_TOO_SMALL", field="amount_fen")
    if amount_fen > max_fen:
        raise InvalidInput(f"amount_fen must be at most {max_fen}", code="AMOUNT_TOO_LARGE",
                           field="amount_fen")


@dataclass(frozen=True)
class Order:
    id: str
    user_id: str
    openid: str
    station_id: str
    station_name: str
    grade: str
    nozzle_no: int
    price_fen: int  # per litre, after the discount
    list_price_fen: int  # pump price per litre
    pump_amount_fen: int  # what the pump shows (gross)
    discount_fen: int
    pay_amount_fen: int
    liters_ml: int
    pay_method: PayMethod
    description: str  # what WeChat Pay shows; kept so a retried create sends the same
    request_hash: str
    created_at: datetime
    expires_at: datetime
    status: OrderStatus = PENDING_PAYMENT
    promotion_id: str | None = None
    transaction_id: str | None = None
    paid_at: datetime | None = None
    fuelled_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    actual_amount_fen: int | None = None  # what the fuel finally cost the driver (after discount)
    actual_pump_amount_fen: int | None = None  # what the pump showed at confirmation
    refunded_fen: int = 0
    refund_reserved_fen: int = 0
    refund_count: int = 0
    shipping_due: bool = False
    shipping_uploaded_at: datetime | None = None
    invoice_id: str | None = None
    # Membership (issue: wallet, points, coupons). discount_fen includes coupon_fen and points_fen.
    member_level: str | None = None  # the level whose member price applied
    coupon_id: str | None = None
    coupon_fen: int = 0
    points_redeemed: int = 0
    points_fen: int = 0
    wallet_paid_fen: int = 0  # a wallet order: the paid money spent ...
    wallet_bonus_fen: int = 0  # ... and the bonus money (they go back where they came from)
    points_earned: int = 0  # at confirmation, on points_basis_fen
    # What the points were earned on: the payment less every refund reserved by the time of the
    # confirmation (None: confirmed before this was kept; the points were earned on
    # actual_amount_fen). points_refunded_fen: refunds requested after the confirmation that
    # succeeded; each takes back its share of points_earned (domain/wallet/points_takeback.py).
    points_basis_fen: int | None = None
    points_refunded_fen: int = 0
    # Never pay the wrong station: who is paid, how the place was checked (domain/orders/
    # placement.py), and the driver's refund request (domain/orders/refund_requests.py).
    payee: str | None = None
    place_check: str | None = None
    place_distance_m: int | None = None
    refund_request_status: str | None = None
    refund_request_reason: str | None = None
    refund_requested_at: datetime | None = None
    refund_request_answer: str | None = None  # why a manager declined; the driver sees it
    refund_request_answered_at: datetime | None = None
    # The station's price version the order was priced at (its transaction checked it held).
    price_version: int | None = None
    version: int = 0

    @property
    def out_trade_no(self) -> str:
        return self.id

    @property
    def refund_request(self) -> dict | None:
        """The driver's refund request as the API shows it, None when there is none."""
        if self.refund_request_status is None:
            return None
        return {"status": self.refund_request_status, "reason": self.refund_request_reason,
                "requested_at": self.refund_requested_at, "answer": self.refund_request_answer,
                "answered_at": self.refund_request_answered_at}

    @property
    def refundable_fen(self) -> int:
        return self.pay_amount_fen - self.refund_reserved_fen if self.paid_at else 0

    @property
    def earned_on_fen(self) -> int:
        """The fen points_earned was earned on (older orders: the final charge)."""
        if self.points_basis_fen is not None:
            return self.points_basis_fen
        return self.actual_amount_fen if self.actual_amount_fen is not None else self.pay_amount_fen

    @property
    def refund_pending_fen(self) -> int:
        return self.refund_reserved_fen - self.refunded_fen

    def amounts(self) -> dict[str, int]:
        figures = {"pay_amount_fen": self.pay_amount_fen, "refunded_fen": self.refunded_fen,
                   "refund_reserved_fen": self.refund_reserved_fen}
        if self.actual_amount_fen is not None:
            figures["actual_amount_fen"] = self.actual_amount_fen
        return figures


def step(before: Order, after: Order, event_types: list[str], *, at: datetime, actor: str,
         provider_ids: dict | None = None, reason: str | None = None,
         between: tuple[Order, ...] = ()) -> tuple[Order, tuple]:
    """`after` with its version advanced by one per event, and the events numbered to match.

    Each event shows its own change: the status and amounts before and after it. A change of
    more than one event names, in `between`, the order as it stands after each event but the
    last (a confirmation that also reserves a refund: the fuelled order, then `after`), so a
    history's refund line does not repeat the confirmation's figures.
    """
    if not can_transition(before.status, after.status):
        raise ValueError(f"{before.status} -> {after.status} is not a transition")
    if len(between) != len(event_types) - 1:
        raise ValueError("each event but the last needs the order as it stands after it")
    final = replace(after, version=before.version + len(event_types))
    ids = {"out_trade_no": before.out_trade_no, **(provider_ids or {})}
    if final.transaction_id:
        ids.setdefault("transaction_id", final.transaction_id)
    stages = (before, *between, final)
    events = tuple(OrderEvent(
        order_id=before.id, seq=before.version + i + 1, type=kind, at=at, actor=actor,
        status_before=stages[i].status, status_after=stages[i + 1].status,
        amounts_before=stages[i].amounts(), amounts_after=stages[i + 1].amounts(),
        provider_ids=ids, reason=reason)
        for i, kind in enumerate(event_types))
    return final, events
