"""A driver's refund request for a fill that never happened: ask, answer, or refund by the clock.

Every step is one change of the order (services/orders/changes.change_order), so it lands in
the order's history, and approving or the schedule's automatic refund reserve the refund in the
same conditional write that closes the request: when both happen at once, one writes and the
other re-reads a request that is no longer OPEN and does nothing. The refund then goes to
WeChat Pay (or the wallet) through the usual refund path with its fixed out_refund_no.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import tracing
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.orders import refund_requests as rr
from chalicelib.domain.orders.events import Transition
from chalicelib.domain.orders.orders import Order
from chalicelib.observability import get_logger
from chalicelib.services.orders import refunds
from chalicelib.services.orders.changes import change_order, driver_actor, staff_actor
from chalicelib.services.orders.drivers import own_order
from chalicelib.services.orders.fuelling import station_order
from chalicelib.settings import get_settings
from chalicelib.store.orders import refund_requests as request_store

ANSWER_ROLES = refunds.REFUND_ROLES
AUTO_ACTOR = "job:refund-request-timeout"


def timeout() -> timedelta:
    return timedelta(seconds=get_settings().refund_request_timeout_s)


def _after(transition: Transition | None, *, now: datetime) -> None:
    """What follows a written step: the refund goes out (the driver's message about the step
    was written with it: services/orders/notices.py)."""
    if transition is not None and transition.refund_created is not None:
        refunds.submit(transition.refund_created, now=now)


@tracing.use_case("refund_request")
def request_refund(user_id: str, order_id: str, reason: str, *, now: datetime) -> Order:
    order = own_order(user_id, order_id)
    order, transition = change_order(order, lambda current: rr.open_request(
        current, reason=reason, at=now, actor=driver_actor(user_id)))
    _after(transition, now=now)
    return order


def _answerable(staff, order_id: str):
    if staff.role not in ANSWER_ROLES:
        raise Forbidden("only a manager can answer refund requests", code="ROLE_NOT_ALLOWED")
    return station_order(staff, order_id)


@tracing.use_case("refund_request_approve")
def approve(staff, order_id: str, *, now: datetime) -> Order:
    order = _answerable(staff, order_id)
    order, transition = change_order(order, lambda current: rr.approve(
        current, at=now, actor=staff_actor(staff)))
    _after(transition, now=now)
    return order


@tracing.use_case("refund_request_decline")
def decline(staff, order_id: str, answer: str, *, now: datetime) -> Order:
    order = _answerable(staff, order_id)
    order, transition = change_order(order, lambda current: rr.decline(
        current, answer=answer, at=now, actor=staff_actor(staff)))
    _after(transition, now=now)
    return order


def list_open(staff, station_id: str, limit: int) -> dict:
    if not staff.can_act_on_station(station_id):
        raise Forbidden("the station is not one of yours", code="NOT_YOUR_STATION")
    return {"items": request_store.open_of_station(station_id, limit), "next_cursor": None}


def refund_unanswered(now: datetime, *, limit: int = 200) -> dict:
    """The schedule: refund every request still OPEN past its time (each decided on a consistent
    re-read, so a run that overlaps another run or a manager's answer changes nothing twice)."""
    counts = {"checked": 0, "refunded": 0, "failed": 0}
    for found in request_store.opened_before(now - timeout(), limit):
        counts["checked"] += 1
        try:
            _, transition = change_order(found.id, lambda current: rr.refund_overdue(
                current, now=now, timeout=timeout(), actor=AUTO_ACTOR))
            _after(transition, now=now)
            counts["refunded"] += transition is not None
        except Exception:  # noqa: BLE001 - one bad order must not stop the others
            get_logger().exception("refund request not settled", extra={"order_id": found.id})
            counts["failed"] += 1
    return counts
