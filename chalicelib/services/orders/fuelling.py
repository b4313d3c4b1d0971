"""The attendant confirms a fuelling: final amount and litres, and the overpayment goes back.

The confirmation and the refund of the difference are one transaction (the refund's amount is
reserved on the order there), so a concurrent manager refund can never make the two together
exceed what was paid. The refund is then sent to WeChat Pay; if that does not get through, the
follow-up schedule sends it again with the same out_refund_no. The station's learned service
time gets the order's paid->fuelled time in the same transaction (services/orders/effects.py).
"""
from __future__ import annotations

from datetime import datetime

from chalicelib import tracing
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.identity.roles import MANAGERS
from chalicelib.domain.orders.lifecycle import Transition, confirm
from chalicelib.domain.orders.orders import Order
from chalicelib.domain.orders.refunds import settlement_needs_manager
from chalicelib.services.orders import refunds
from chalicelib.services.orders.changes import change_order, find_order, staff_actor
from chalicelib.settings import get_settings


def station_order(staff, order_id: str) -> Order:
    """An order of one of the staff member's stations (hq: any station)."""
    order = find_order(order_id)
    if order is None:
        raise NotFound("the order does not exist", code="ORDER_NOT_FOUND")
    if not staff.can_act_on_station(order.station_id):
        raise Forbidden("the order belongs to another station", code="NOT_YOUR_STATION")
    return order


@tracing.use_case("confirm_fuelling")
def confirm_fuelling(staff, order_id: str, actual_amount_fen: int | None, liters_ml: int | None,
                     *, now: datetime) -> Order:
    """`actual_amount_fen` is what the pump shows for the fuel dispensed (default: all prepaid).

    A large settlement refund is refused to an attendant: a manager confirms it, and the
    history's actor of the confirmation and of the refund is that manager (the approver).
    """
    order = station_order(staff, order_id)

    def decide(current: Order) -> Transition | None:
        transition = confirm(current, actual_pump_amount_fen=actual_amount_fen,
                             liters_ml=liters_ml, at=now, actor=staff_actor(staff))
        if transition is not None and transition.refund_created is not None:
            _check_may_refund(staff, current, transition.refund_created.amount_fen)
        return transition

    order, transition = change_order(order, decide)
    if transition is not None:
        if transition.refund_created is not None:
            refunds.submit(transition.refund_created, now=now)
    return order


def _check_may_refund(staff, order: Order, refund_fen: int) -> None:
    if staff.role in MANAGERS:
        return
    settings = get_settings()
    if settlement_needs_manager(order.pay_amount_fen, refund_fen,
                                max_share_percent=settings.confirm_refund_max_share_percent,
                                max_fen=settings.confirm_refund_max_fen):
        raise Forbidden("a refund this large on confirmation needs a manager",
                        code="CONFIRMATION_NEEDS_MANAGER")
