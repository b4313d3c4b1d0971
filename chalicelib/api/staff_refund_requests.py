"""Drivers' refund requests, answered by the station's manager (or hq)."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint

from chalicelib.api.http import current_staff, route
from chalicelib.api.order_schemas import OrderPage, OrderView
from chalicelib.api.shapes import shaped
from chalicelib.domain import times

bp = Blueprint(__name__)


class OpenRequestsQuery(msgspec.Struct, forbid_unknown_fields=True):
    station_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20


class DeclineIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]  # the driver sees it


_ANSWER_ERRORS = {403: ("ROLE_NOT_ALLOWED", "NOT_YOUR_STATION"), 404: ("ORDER_NOT_FOUND",),
                  409: ("REFUND_REQUEST_NOT_OPEN", "ORDER_BUSY")}


@route(bp, "/v1/staff/refund-requests", methods=["GET"], auth="staff", query=OpenRequestsQuery,
       ok=OrderPage, summary="Open refund requests of one of your stations, the oldest first",
       errors={403: ("NOT_YOUR_STATION",)})
def open_refund_requests(query: OpenRequestsQuery):
    from chalicelib.services.orders import refund_requests

    return shaped(refund_requests.list_open(current_staff(bp.current_request), query.station_id,
                                            query.limit), OrderPage)


@route(bp, "/v1/staff/orders/{order_id}/refund-request/approve", methods=["POST"], auth="staff",
       ok=OrderView, summary="Approve a driver's refund request: the order is refunded in full",
       errors={**_ANSWER_ERRORS, 422: ("TOO_MANY_REFUNDS",)})
def approve_refund_request(order_id: str):
    from chalicelib.services.orders import refund_requests

    return shaped(refund_requests.approve(current_staff(bp.current_request), order_id,
                                          now=times.now()), OrderView)


@route(bp, "/v1/staff/orders/{order_id}/refund-request/decline", methods=["POST"], auth="staff",
       body=DeclineIn, ok=OrderView,
       summary="Decline a driver's refund request with a reason the driver sees; the fuelling "
               "can then be confirmed",
       errors={**_ANSWER_ERRORS, 400: ("REASON_INVALID",)})
def decline_refund_request(order_id: str, body: DeclineIn):
    from chalicelib.services.orders import refund_requests

    return shaped(refund_requests.decline(current_staff(bp.current_request), order_id,
                                          body.reason, now=times.now()), OrderView)
