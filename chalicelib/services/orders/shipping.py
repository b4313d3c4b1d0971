"""Shipping info for confirmed orders: WeChat may hold the settlement of a mini-program payment
until the goods are reported handed over. Fuel is picked up at the pump (logistics_type 4).

Confirmation puts the order on the sparse `awaiting-shipping` index; the schedule uploads and
takes it off once WeChat acknowledged (or already holds shipping info for the payment), so a
failed upload is simply tried again a minute later.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.money import div_round_half_up
from chalicelib.domain.orders.orders import Order
from chalicelib.domain.stations.stations import GRADE_NAMES
from chalicelib.observability import get_logger
from chalicelib.providers.wechat import ShippingInfoRejected, get_wechat
from chalicelib.store.orders import queries as order_queries
from chalicelib.store.orders import orders as order_store


def _litres(ml: int) -> str:
    centilitres = div_round_half_up(ml, 10)
    return f"{centilitres // 100}.{centilitres % 100:02d}"


def item_desc(order: Order) -> str:
    grade = GRADE_NAMES.get(order.grade, order.grade)
    return f"{grade} {_litres(order.liters_ml)}升 {order.station_name}"


def upload_due(now: datetime, *, limit: int = 100) -> dict:
    counts = {"uploaded": 0, "failed": 0}
    for order in order_queries.orders_awaiting_shipping(limit):
        try:
            _upload(order, now)
            counts["uploaded"] += 1
        except Exception:  # noqa: BLE001 - logged with its cause; the next run tries again
            get_logger().exception("shipping info not uploaded", extra={"order_id": order.id})
            counts["failed"] += 1
    return counts


def _upload(order: Order, now: datetime) -> None:
    try:
        get_wechat().upload_shipping_info(transaction_id=order.transaction_id, openid=order.openid,
                                          item_desc=item_desc(order), upload_time=now)
    except ShippingInfoRejected as err:
        if not err.already_recorded:
            raise
        get_logger().info("WeChat already holds shipping info", extra={
            "order_id": order.id, "errcode": err.errcode})
    order_store.mark_shipping_uploaded(order.id, now)
