"""The WeChat Pay JSAPI payment as orders and wallet top-ups share it: the parameters the
mini-program pays with, which trade states mean paid, the merchant check of a reported
transaction, and the security log. Both services/orders/payments.py and
services/wallet/topups.py build on it, so neither needs the other for these."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import UpstreamUnavailable
from chalicelib.domain.orders.lifecycle import PaymentMismatch
from chalicelib.domain.orders.orders import PENDING_PAYMENT, Order
from chalicelib.observability import get_logger
from chalicelib.providers.wechatpay import WeChatPayError, get_wechatpay
from chalicelib.services.orders.changes import notify_url

PAID_STATES = ("SUCCESS", "REFUND")  # REFUND: paid, and something was refunded since
PAYMENT_PARAMS = ("timeStamp", "nonceStr", "package", "signType", "paySign")


def security_event(kind: str, **details) -> None:
    """Something that should never happen unless someone is probing or a system is misconfigured."""
    get_logger().warning("security event", extra={"security_event": kind, **details})


def unavailable() -> UpstreamUnavailable:
    return UpstreamUnavailable("WeChat Pay did not answer; try again shortly",
                               code="PAYMENT_UNAVAILABLE")


def payment_params(order: Order, now: datetime) -> dict | None:
    """The wx.requestPayment parameters for a payable order; None once it cannot be paid.

    Creating the JSAPI transaction again with the same out_trade_no and fields answers the same
    prepay_id, so a retried order creation hands out the same payment.
    """
    if order.status != PENDING_PAYMENT or order.expires_at <= now:
        return None
    client = get_wechatpay()
    try:
        prepay_id = client.create_jsapi(order.out_trade_no, order.description, order.pay_amount_fen,
                                        order.openid, notify_url(), order.expires_at)
    except UpstreamUnavailable as err:
        raise unavailable() from err
    except WeChatPayError as err:
        if err.code in ("ORDERPAID", "ORDER_CLOSED"):
            return None
        get_logger().error("WeChat Pay refused a JSAPI order", extra={
            "order_id": order.id, "code": err.code, "wechatpay_message": err.message})
        raise UpstreamUnavailable("WeChat Pay refused the payment", code="PAYMENT_REFUSED") from err
    params = client.request_payment_params(prepay_id)
    return {name: params[name] for name in PAYMENT_PARAMS}


def check_merchant(transaction: dict) -> None:
    """PaymentMismatch unless the transaction is for our appid and merchant."""
    client = get_wechatpay()
    if transaction.get("appid") != client.appid or transaction.get("mchid") != client.mchid:
        raise PaymentMismatch("the transaction is for another appid or merchant")
