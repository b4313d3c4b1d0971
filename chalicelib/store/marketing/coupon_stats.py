"""Marketing figures of a template: its used coupons and the fuel revenue of the orders they name.

Cost: one Query of the sparse index `used-by-template` (KEYS_ONLY: coupon id and order id, about
70 bytes each, so a 1 MB page holds ~14,000 used coupons) plus one BatchGetItem per 100 orders,
projected to the three money fields. Unused coupons (most of them) are never read: they are not
in the index. The work grows with the coupons an order actually used, not with those issued.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.store.marketing.coupons import CouponModel
from chalicelib.store.orders.orders import OrderModel

_MONEY = ["order_id", "pay_amount_fen", "refunded_fen", "paid_at"]


@dataclass(frozen=True)
class UsageFigures:
    used: int  # coupons an order holds now (a closed unpaid order has given its coupon back)
    paid_orders: int  # of those orders, the ones paid
    revenue_fen: int  # what those orders were paid, net of refunds


def used_order_ids(template_id: str) -> list[str]:
    return [m.used_order_id for m in CouponModel.used_by_template.query(template_id)]


def usage(template_id: str) -> UsageFigures:
    order_ids = used_order_ids(template_id)
    paid, revenue = 0, 0
    if order_ids:
        for order in OrderModel.batch_get(order_ids, attributes_to_get=_MONEY):
            if order.paid_at is not None:
                paid += 1
                revenue += int(order.pay_amount_fen or 0) - int(order.refunded_fen or 0)
    return UsageFigures(len(order_ids), paid, revenue)
