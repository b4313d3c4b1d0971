"""A driver's orders: create (with Idempotency-Key), list, read, cancel."""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint

from chalicelib.api.contract import literal_of
from chalicelib.api.http import created, current_driver, route
from chalicelib.api.order_schemas import OrderPage, OrderView
from chalicelib.api.shapes import shaped
from chalicelib.domain.cursors import ORDER_CURSOR_PATTERN
from chalicelib.domain.orders.orders import PayMethod
from chalicelib.domain import times

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class OrderCreate(msgspec.Struct, forbid_unknown_fields=True):
    station_id: Id
    nozzle_no: Annotated[int, msgspec.Meta(ge=1, le=999)]
    # What the pump shows. The range is documented, not enforced here: the service refuses an
    # amount out of range with its own code, and the cap is configurable (default 300000).
    amount_fen: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 100, "maximum": 300000})]
    grade: Annotated[str, msgspec.Meta(min_length=1, max_length=8)] | None = None
    coupon_id: Id | None = None  # one of the driver's usable coupons (GET /v1/coupons)
    # Points to redeem (default 100 points = 1 yuan, in whole steps, up to a share of the order).
    points: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None
    # "wallet": paid from the prepaid balance at once (paid money first, then bonus money),
    # no WeChat Pay step; the answer's payment is null.
    pay_method: literal_of(PayMethod) = PayMethod.WECHATPAY.value
    # Farther than the allowed distance (default 500 m) from the station: 422 FAR_FROM_STATION,
    # unless confirm_far. No location: no check (recorded as NO_LOCATION).
    location: DriverLocation | None = None
    confirm_far: bool = False
    # The scene of the scanned pump code (GET /v1/pumps/{scene}): it must name this station and
    # nozzle, and the distance check is skipped.
    pump_scene: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None


class DriverLocation(msgspec.Struct, forbid_unknown_fields=True):
    """Where the driver is, as wx.getLocation gives it."""
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    coord: Literal["gcj02", "wgs84"] = "gcj02"


class PaymentParams(msgspec.Struct):
    """The arguments of wx.requestPayment."""
    timeStamp: str
    nonceStr: str
    package: str
    signType: str
    paySign: str


class OrderCreated(msgspec.Struct):
    order: OrderView
    payment: PaymentParams | None  # None once the order can no longer be paid


class OrderListQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    # next_cursor of the previous page, passed back unchanged
    cursor: Annotated[str, msgspec.Meta(pattern=ORDER_CURSOR_PATTERN)] | None = None


@route(bp, "/v1/orders", methods=["POST"], auth="driver", body=OrderCreate, ok=OrderCreated,
       status=201, headers=("Idempotency-Key",),
       summary="Price and create an order: WeChat Pay (answers the wx.requestPayment "
               "parameters) or the wallet (paid at once); coupon and points apply "
               "(header Idempotency-Key: the same key and body answer the same order)",
       errors={400: ("IDEMPOTENCY_KEY_REQUIRED", "IDEMPOTENCY_KEY_INVALID", "AMOUNT_TOO_SMALL",
                     "AMOUNT_TOO_LARGE", "UNKNOWN_NOZZLE", "UNKNOWN_GRADE", "POINTS_INVALID",
                     "POINTS_NOT_A_MULTIPLE", "LAT_OUT_OF_RANGE", "LNG_OUT_OF_RANGE"),
               404: ("STATION_NOT_FOUND", "USER_NOT_FOUND", "COUPON_NOT_YOURS"),
               409: ("IDEMPOTENCY_KEY_REUSED", "ORDER_BUSY", "PRICE_CHANGED"),
               429: ("TOO_MANY_UNPAID_ORDERS",),
               422: ("NOZZLE_GRADE_MISMATCH", "STATION_CLOSED", "GRADE_OUT_OF_STOCK",
                     "INSUFFICIENT_BALANCE", "POINTS_INSUFFICIENT", "POINTS_OVER_LIMIT",
                     "COUPON_USED", "COUPON_NOT_STARTED", "COUPON_EXPIRED", "COUPON_OUT_OF_SCOPE",
                     "COUPON_BELOW_MIN_SPEND", "FAR_FROM_STATION", "PUMP_SCENE_MISMATCH"),
               503: ("PAYMENT_UNAVAILABLE", "PAYMENT_REFUSED")})
def create_order(body: OrderCreate):
    from chalicelib.services.orders import drivers as orders

    request = bp.current_request
    driver = current_driver(request)
    fields = msgspec.structs.asdict(body)
    fields["location"] = None if body.location is None else msgspec.to_builtins(body.location)
    order_request = orders.OrderRequest(**fields)
    return created(shaped(orders.create_order(driver.subject, order_request,
                                              request.headers.get("idempotency-key"),
                                              now=times.now()), OrderCreated))


@route(bp, "/v1/orders", methods=["GET"], auth="driver", query=OrderListQuery, ok=OrderPage,
       summary="The driver's own orders, newest first", errors={400: ("INVALID_CURSOR",)})
def list_orders(query: OrderListQuery):
    from chalicelib.services.orders import drivers as orders

    driver = current_driver(bp.current_request)
    return shaped(orders.list_orders(driver.subject, query.limit, query.cursor), OrderPage)


@route(bp, "/v1/orders/{order_id}", methods=["GET"], auth="driver", ok=OrderView,
       summary="One of the driver's own orders", errors={404: ("ORDER_NOT_FOUND",)})
def get_order(order_id):
    from chalicelib.services.orders import drivers as orders

    driver = current_driver(bp.current_request)
    order, checked = orders.get_order(driver.subject, order_id, now=times.now())
    view = shaped(order, OrderView)
    if not checked:
        view["payment_check"] = orders.PAYMENT_CHECK_SKIPPED
    return view


@route(bp, "/v1/orders/{order_id}/cancel", methods=["POST"], auth="driver", ok=OrderView,
       summary="Cancel an unpaid order (closed at WeChat Pay too)",
       errors={400: ("PAYMENT_MISMATCH",), 404: ("ORDER_NOT_FOUND",),
               409: ("ORDER_NOT_CANCELLABLE", "ORDER_ALREADY_PAID", "ORDER_BUSY"),
               503: ("PAYMENT_UNAVAILABLE",)})
def cancel_order(order_id):
    from chalicelib.services.orders import drivers as orders

    driver = current_driver(bp.current_request)
    return shaped(orders.cancel_order(driver.subject, order_id, now=times.now()), OrderView)
