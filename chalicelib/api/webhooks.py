"""POST /v1/webhooks/wechatpay: payment and refund notifications from WeChat Pay.

204 when handled (a repeat too); otherwise WeChat Pay's own error shape {"code": "FAIL",
"message": ...}: 401 for a signature, serial or timestamp that does not verify, 400 for a
notification that does not fit our records, 503 when storage is unavailable. Any non-2xx makes
WeChat Pay deliver it again later.
"""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.errors import status_of
from chalicelib.api.http import route
from chalicelib.domain.errors import DomainError

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)


@route(bp, "/v1/webhooks/wechatpay", methods=["POST"], auth="wechatpay", status=204,
       summary="WeChat Pay notifications (TRANSACTION.SUCCESS, REFUND.*), signed and encrypted",
       errors={400: ("FAIL",), 401: ("FAIL",), 404: ("FAIL",), 409: ("FAIL",),
               415: ("UNSUPPORTED_MEDIA_TYPE",), 503: ("FAIL",)})
def wechatpay_notification():
    from chalicelib.services.orders import payments

    request = bp.current_request
    try:
        payments.handle_notification(dict(request.headers), request.raw_body or b"")
    except DomainError as err:
        return Response(body={"code": "FAIL", "message": err.message},
                        status_code=status_of(err), headers={"Content-Type": "application/json"})
    return Response(body="", status_code=204)
