"""Driver use cases of orders: create (priced by the shared pricing function), read, list, cancel.

Creation is idempotent per Idempotency-Key without a separate record: the order id is derived
from (user, key) and the order's own conditional put decides who was first. The stored request
hash tells a retry (same body: the same order and payment) from a reuse (another body: 409).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from chalicelib.domain.errors import Conflict, DomainError, InvalidInput, NotFound, RuleViolation
from chalicelib.domain.orders.ids import check_idempotency_key, order_id_for, request_hash
from chalicelib.domain.orders.lifecycle import (
    PaymentMismatch, close, create, create_paid_from_wallet)
from chalicelib.domain.orders.orders import (
    CLOSED, PAY_METHODS, PENDING_PAYMENT, WALLET, WECHATPAY, Order, check_amount)
from chalicelib.domain.stations.pricing import quote
from chalicelib.domain.stations.stations import GRADE_NAMES
from chalicelib.observability import get_logger
from chalicelib.settings import get_settings
from chalicelib import tracing
from chalicelib.domain.orders.quotes import PriceChanged, same_price
from chalicelib.services.orders import (
    creation, effects as order_effects, facts as order_facts, jsapi, payments, placement)
from chalicelib.services.wallet.membership import terms_of
from chalicelib.services.orders.changes import change_order, driver_actor, find_order
from chalicelib.services.orders.views import cursor_position, page_cursor
from chalicelib.services import limits
from chalicelib.store.orders import queries as order_queries
from chalicelib.store.orders import orders as order_store
from chalicelib.store.retries import retry_lost_writes


@dataclass(frozen=True)
class OrderRequest:
    station_id: str
    nozzle_no: int
    amount_fen: int  # what the pump shows
    grade: str | None = None
    coupon_id: str | None = None
    points: int | None = None
    pay_method: str = WECHATPAY
    # Where the driver is ({lat, lng, coord}) and whether they confirmed ordering from afar, or
    # the scene of the pump code they scanned (services/orders/placement.py).
    location: dict | None = None
    confirm_far: bool = False
    pump_scene: str | None = None


def max_order_fen() -> int:
    """The cap on one order (settings: ORDER_MAX_AMOUNT_FEN, default 3,000 yuan)."""
    return get_settings().order_max_amount_fen


def payment_ttl() -> timedelta:
    return timedelta(seconds=get_settings().order_payment_ttl_s)


@tracing.use_case("create_order")
def create_order(user_id: str, request: OrderRequest, idempotency_key: str | None, *,
                 now: datetime) -> dict:
    """Three round trips when nothing races it (services/orders/creation.py): read everything,
    price, write the order with all it moves in one transaction. A lost race is priced again;
    at another price the driver is told (409 PRICE_CHANGED) rather than charged it."""
    order_id = order_id_for(user_id, check_idempotency_key(idempotency_key))
    tracing.annotate(order_id=order_id)
    fingerprint = request_hash(asdict(request))
    actor = driver_actor(user_id)
    first: list[Order] = []  # the order as first priced: what the driver is being quoted

    def attempt(_: int) -> dict:
        facts = creation.read_facts(order_id, user_id, request.station_id, request.coupon_id,
                                    request.pay_method, now)
        if facts.existing is not None:  # a retry: answered as before, never counted again
            return _replay(facts.existing, fingerprint, now)
        if request.pay_method == WECHATPAY:
            limits.check_unpaid_orders(facts.unpaid, order_id)
        order = _priced(order_id, user_id, request, fingerprint, now, facts)
        if first and not same_price(order, first[0]):
            raise PriceChanged(order)
        first[:] = first or [order]
        order, also = order_effects.for_creation(order, facts.account, facts.coupon)
        transition = (create_paid_from_wallet(order, actor=actor) if order.pay_method == WALLET
                      else create(order, actor=actor))
        # StaleWrite (the order, the price, the balance, points, coupon or cap changed since
        # the read): read and price again. The messages the driver is owed (a wallet order is
        # paid as created) are written with the order and sent once it is committed.
        order_effects.commit_with(transition, creation.written_with(order, facts, also, now=now))
        order_facts.record(transition)
        return {"order": transition.after, "payment": _payment(transition.after, now)}
    return retry_lost_writes(attempt, order_store.StaleWrite, busy=Conflict(
        "the order is being created; try again", code="ORDER_BUSY"))


def _payment(order: Order, now: datetime) -> dict | None:
    """wx.requestPayment parameters; a wallet order is paid already and has none."""
    return jsapi.payment_params(order, now) if order.pay_method == WECHATPAY else None


def _replay(order: Order, fingerprint: str, now: datetime) -> dict:
    if order.request_hash != fingerprint:
        raise Conflict("this Idempotency-Key was used for another order",
                       code="IDEMPOTENCY_KEY_REUSED")
    return {"order": order, "payment": _payment(order, now)}


def _priced(order_id: str, user_id: str, request: OrderRequest, fingerprint: str,
            now: datetime, facts: creation.Facts) -> Order:
    """The order as priced now from `facts` (services/orders/creation.py)."""
    check_amount(request.amount_fen, max_order_fen())
    if request.pay_method not in PAY_METHODS:
        raise InvalidInput("pay_method must be wechatpay or wallet", code="PAY_METHOD_UNKNOWN",
                           field="pay_method")
    station = facts.station
    if station is None:
        raise NotFound("the station does not exist", code="STATION_NOT_FOUND", field="station_id")
    nozzle = station.nozzle(request.nozzle_no)
    if nozzle is None:
        raise InvalidInput(f"the station has no nozzle {request.nozzle_no}",
                           code="UNKNOWN_NOZZLE", field="nozzle_no")
    if request.grade is not None and request.grade != nozzle.grade:
        raise RuleViolation(f"nozzle {nozzle.no} pumps {nozzle.grade}, not {request.grade}",
                            code="NOZZLE_GRADE_MISMATCH", field="grade")
    place = placement.place_of(station, nozzle.no, location=request.location,
                               confirm_far=request.confirm_far, pump_scene=request.pump_scene)
    if not station.is_open(now):
        raise RuleViolation("the station is closed now", code="STATION_CLOSED")
    if station.stock_state(nozzle.grade) == "out":
        raise RuleViolation(f"{nozzle.grade} is out of stock here", code="GRADE_OUT_OF_STOCK")
    if facts.user is None:
        raise NotFound("the user does not exist", code="USER_NOT_FOUND")
    account, level, rules = terms_of(facts.account, now)
    points = request.points or 0
    coupon = _coupon(request.coupon_id, facts.coupon)
    q = quote(station.grades, station.promotions, station_id=station.id, grade=nozzle.grade,
              now=now, amount_fen=request.amount_fen, member_level=level, coupon=coupon,
              points=points, user_id=user_id, points_rules=rules)
    if points > account.points_available(now):
        raise RuleViolation(f"{account.points_available(now)} points are available",
                            code="POINTS_INSUFFICIENT", field="points")
    grade_name = GRADE_NAMES.get(nozzle.grade, nozzle.grade)
    return Order(
        id=order_id, user_id=user_id, openid=facts.user.openid, station_id=station.id,
        station_name=station.name, grade=nozzle.grade, nozzle_no=nozzle.no, price_fen=q.price_fen,
        list_price_fen=q.list_price_fen, pump_amount_fen=q.gross_fen, discount_fen=q.discount_fen,
        pay_amount_fen=q.pay_fen, liters_ml=q.liters_ml, pay_method=request.pay_method,
        description=payment_description(station.payee, station.name, grade_name, nozzle.no),
        payee=station.payee, place_check=place.check, place_distance_m=place.distance_m,
        request_hash=fingerprint, created_at=now, expires_at=now + payment_ttl(),
        promotion_id=q.promotion_id, member_level=level,
        coupon_id=coupon.id if coupon is not None else None, coupon_fen=q.coupon_fen,
        points_redeemed=points, points_fen=q.points_fen, price_version=station.version)


def payment_description(payee: str, station_name: str, grade_name: str, nozzle_no: int) -> str:
    """What the WeChat Pay sheet shows (at most 127 characters): whom the driver pays first,
    then the station and pump, so a wrong station is seen before paying."""
    return f"{payee}-{station_name} {grade_name} {nozzle_no}号枪"[:127]


def _coupon(coupon_id: str | None, coupon):
    """The coupon read for the order (`coupon`, None when `coupon_id` names none)."""
    if coupon_id is None:
        return None
    if coupon is None:
        raise NotFound("no such coupon", code="COUPON_NOT_YOURS", field="coupon_id")
    return coupon


def own_order(user_id: str, order_id: str) -> Order:
    """The driver's own order; another driver's is 404, exactly like one that does not exist."""
    order = find_order(order_id)
    if order is None or order.user_id != user_id:
        raise NotFound("the order does not exist", code="ORDER_NOT_FOUND")
    return order


def get_order(user_id: str, order_id: str, *, now: datetime) -> tuple[Order, bool]:
    """The driver's own order, and whether its payment check ran: a pending order is checked at
    WeChat Pay in case a notification is late; False when that check could not run this time
    (the order is answered as known, and the driver's app reads again)."""
    order = own_order(user_id, order_id)
    if order.status != PENDING_PAYMENT:
        return order, True
    healed = _healed(order, now)
    return (order, False) if healed is None else (healed, True)


# Told on a read of a pending order whose check at WeChat Pay could not run this time (WeChat
# Pay slow, or the order busy with a notification being applied): the next read checks again.
PAYMENT_CHECK_SKIPPED = "SKIPPED"


def _healed(order: Order, now: datetime) -> Order | None:
    """A pending order the driver is looking at: ask WeChat Pay in case a notification is late.
    None if the check could not run (the read still answers, with what is known)."""
    if not limits.may_check_payment(order.id, now=now):
        return order   # checked a moment ago: polling must not become a flood of queries there
    try:
        return payments.sync_payment(order, actor="job:payment-check-on-read", now=now)
    except PaymentMismatch as err:
        payments.security_event("QUERIED_PAYMENT_MISMATCH", order_id=order.id, reason=err.message)
        return order
    except DomainError as err:  # WeChat Pay slow or unreachable, or the order busy
        get_logger().info("payment check skipped", extra={"order_id": order.id, "code": err.code})
        return None


def list_orders(user_id: str, limit: int, cursor: str | None) -> dict:
    orders, position = order_queries.orders_of_user(user_id, limit, cursor_position(cursor))
    return {"items": orders, "next_cursor": page_cursor(position)}


def cancel_order(user_id: str, order_id: str, *, now: datetime) -> Order:
    """Close an unpaid order at WeChat Pay, then here; cancelling a closed order is a no-op."""
    order = own_order(user_id, order_id)
    if order.status == CLOSED:
        return order
    if order.status != PENDING_PAYMENT:
        raise Conflict(f"the order is {order.status} and can no longer be cancelled",
                       code="ORDER_NOT_CANCELLABLE")
    actor = driver_actor(user_id)
    payments.close_at_wechatpay(order, actor=actor, now=now)
    order, _ = change_order(order, lambda current: close(
        current, at=now, actor=actor, reason="cancelled by the driver"))
    return order
