"""A driver asks for a paid order back when the fill never happened."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint

from chalicelib.api.http import current_driver, route
from chalicelib.api.order_schemas import OrderView
from chalicelib.api.shapes import shaped
from chalicelib.domain import times

bp = Blueprint(__name__)


class RefundRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


@route(bp, "/v1/orders/{order_id}/refund-request", methods=["POST"], auth="driver",
       body=RefundRequestIn, ok=OrderView,
       summary="Ask for a paid, unconfirmed order back (the fill never happened); the station's "
               "manager answers, or it is refunded by itself after a while (default 2 hours)",
       errors={400: ("REASON_INVALID",), 404: ("ORDER_NOT_FOUND",),
               409: ("REFUND_REQUEST_EXISTS", "ORDER_ALREADY_CONFIRMED", "ORDER_NOT_REFUNDABLE",
                     "ORDER_BUSY")})
def request_refund(order_id: str, body: RefundRequestIn):
    from chalicelib.services.orders import refund_requests

    driver = current_driver(bp.current_request)
    return shaped(refund_requests.request_refund(driver.subject, order_id, body.reason,
                                                 now=times.now()), OrderView)
