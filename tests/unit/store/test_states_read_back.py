"""States are stored as plain text and come back from the store as their enum members, so code
reading a record holds the same type as code that just decided the state."""
from __future__ import annotations

from chalicelib.domain.marketing.states import TemplateStatus
from chalicelib.domain.orders.orders import OrderStatus, PayMethod
from chalicelib.store.marketing import coupon_templates
from chalicelib.store.orders.orders import OrderModel, get_order
from tests.unit.coupons.factory import make_template, new_user_id, paid_order


def test_an_order_reads_back_with_its_status_and_pay_method_as_members(aws):
    order = paid_order(new_user_id())

    stored = OrderModel.get(order.id)
    read = get_order(order.id)

    assert type(stored.status) is str and stored.status == "PAID"
    assert read.status is OrderStatus.PAID
    assert read.pay_method is PayMethod.WECHATPAY


def test_a_template_reads_back_active_as_a_member(aws):
    template = make_template()

    stored = coupon_templates.get_template(template.id)

    assert stored.status is TemplateStatus.ACTIVE
