"""JSAPI payments: create (the same request answers the same prepay_id), query, close, and the
payer's confirmation on the phone, which notifies TRANSACTION.SUCCESS."""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime

from devstack.sandboxes.wechatpay.config import SandboxError, check_param, parse_time, positive_int
from devstack.sandboxes.wechatpay.keys import random_text
from devstack.sandboxes.wechatpay.notifications import check_notify_url

OUT_TRADE_NO_RE = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
TRADE_STATE_DESC = {"NOTPAY": "订单未支付", "SUCCESS": "支付成功", "CLOSED": "订单已关闭",
                    "REFUND": "订单发生过退款"}


@dataclass
class Order:
    out_trade_no: str
    prepay_id: str
    identity: dict  # what a repeated create must match to get the same prepay_id back
    description: str
    total: int
    openid: str
    notify_url: str
    time_expire: datetime | None
    state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: datetime | None = None
    refund_nos: list = field(default_factory=list)


class Payments:
    """What the sandbox does with payments (mixed into WeChatPaySandbox, whose lock, config,
    orders and by_prepay it uses)."""

    def create_jsapi(self, body: dict) -> dict:
        config = self.config
        check_param(isinstance(body, dict), "请求体必须是JSON对象")
        if body.get("mchid") != config.mchid:
            raise SandboxError(400, "MCH_NOT_EXISTS", "商户号不存在")
        if body.get("appid") != config.appid:
            raise SandboxError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        description, out_trade_no = body.get("description"), body.get("out_trade_no")
        check_param(isinstance(description, str) and 1 <= len(description) <= 127,
                    "description 长度必须在1到127个字符之间")
        check_param(isinstance(out_trade_no, str) and OUT_TRADE_NO_RE.fullmatch(out_trade_no) is not None,
                    "out_trade_no 必须是6-32位数字、大小写字母或_-|*")
        check_notify_url(self.config, body.get("notify_url"))
        time_expire = parse_time(body["time_expire"]) if "time_expire" in body else None
        amount, payer = body.get("amount"), body.get("payer")
        check_param(isinstance(amount, dict) and positive_int(amount.get("total")), "amount.total 必须是正整数")
        check_param(amount.get("currency", "CNY") == "CNY", "amount.currency 只支持 CNY")
        check_param(isinstance(payer, dict) and isinstance(payer.get("openid"), str)
                    and 1 <= len(payer["openid"]) <= 128, "payer.openid 不能为空")
        identity = {"description": description, "total": amount["total"], "openid": payer["openid"]}
        with self.lock:
            order = self.orders.get(out_trade_no)
            if order is not None:
                if order.state in ("SUCCESS", "REFUND"):
                    raise SandboxError(400, "ORDERPAID", "该订单已支付")
                if order.state == "CLOSED":
                    raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")
                if order.identity != identity:
                    raise SandboxError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
                return {"prepay_id": order.prepay_id}
            now = self.now()
            order = Order(out_trade_no, f"wx{now:%d%H%M%S}{secrets.token_hex(13)}", identity,
                           description, amount["total"], payer["openid"], body["notify_url"], time_expire)
            self.orders[out_trade_no] = self.by_prepay[order.prepay_id] = order
            return {"prepay_id": order.prepay_id}

    def query_order(self, out_trade_no: str) -> dict:
        with self.lock:
            return self._transaction(self._order(out_trade_no))

    def close_order(self, out_trade_no: str) -> None:
        with self.lock:
            order = self._order(out_trade_no)
            if order.state in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "ORDERPAID", "订单已支付")
            order.state = "CLOSED"  # closing a closed order answers 204 again, as for real

    def pay(self, prepay_id: str) -> dict:
        """The payer confirms on the phone: SUCCESS, then TRANSACTION.SUCCESS is sent."""
        with self.lock:
            order = self.by_prepay.get(prepay_id)
            if order is None:
                raise SandboxError(404, "ORDER_NOT_EXIST", "prepay_id 不存在")
            if order.state == "CLOSED":
                raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")
            if order.state != "NOTPAY":
                raise SandboxError(400, "ORDERPAID", "订单已支付")
            now = self.now()
            if order.time_expire is not None and now > order.time_expire:
                raise SandboxError(400, "ORDER_EXPIRED", "订单已过期")
            order.state, order.success_time = "SUCCESS", now
            order.transaction_id = f"4200{now:%Y%m%d}{random_text(string.digits, 16)}"
            resource = self._transaction(order)
        self.notify("TRANSACTION.SUCCESS", resource, order.out_trade_no, None, order.notify_url)
        return {"out_trade_no": order.out_trade_no, "transaction_id": order.transaction_id}

    def _order(self, out_trade_no: str) -> Order:
        order = self.orders.get(out_trade_no)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def _transaction(self, order: Order) -> dict:
        view = {"appid": self.config.appid, "mchid": self.config.mchid,
                "out_trade_no": order.out_trade_no, "trade_type": "JSAPI",
                "trade_state": order.state, "trade_state_desc": TRADE_STATE_DESC[order.state],
                "attach": "", "payer": {"openid": order.openid}, "promotion_detail": [],
                "amount": {"total": order.total, "currency": "CNY"}}
        if order.transaction_id:
            view.update(transaction_id=order.transaction_id, bank_type="OTHERS",
                        success_time=order.success_time.isoformat())
            view["amount"].update(payer_total=order.total, payer_currency="CNY")
        return view
