"""Refunds of a paid order: at most 50 per payment, never more than was paid, only once per
out_refund_no; PROCESSING for `refund_settle_s`, then the configured outcome and its
REFUND.* notification."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime

from devstack.sandboxes.wechatpay.config import SandboxError, check_param, positive_int
from devstack.sandboxes.wechatpay.keys import random_text
from devstack.sandboxes.wechatpay.notifications import check_notify_url
from devstack.sandboxes.wechatpay.payments import Order

MAX_REFUNDS_PER_PAYMENT = 50
OUT_REFUND_NO_RE = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    order: Order
    refund: int
    notify_url: str | None
    create_time: datetime
    status: str = "PROCESSING"
    success_time: datetime | None = None


class Refunds:
    """What the sandbox does with refunds (mixed into WeChatPaySandbox, whose lock, config,
    orders, refunds and scheduler it uses)."""

    def create_refund(self, body: dict) -> dict:
        check_param(isinstance(body, dict), "请求体必须是JSON对象")
        out_refund_no, amount = body.get("out_refund_no"), body.get("amount")
        check_param(isinstance(out_refund_no, str) and OUT_REFUND_NO_RE.fullmatch(out_refund_no) is not None,
                    "out_refund_no 必须是1-64位数字、大小写字母或_-|*@")
        check_param("out_trade_no" in body or "transaction_id" in body, "out_trade_no 和 transaction_id 必须二选一")
        check_param(isinstance(body.get("reason", ""), str) and len(body.get("reason", "")) <= 80,
                    "reason 不能超过80个字符")
        if body.get("notify_url") is not None:
            check_notify_url(self.config, body["notify_url"])
        check_param(isinstance(amount, dict) and positive_int(amount.get("refund"))
                    and positive_int(amount.get("total")), "amount.refund 和 amount.total 必须是正整数")
        check_param(amount.get("currency", "CNY") == "CNY", "amount.currency 只支持 CNY")
        with self.lock:
            order = self._refundable_order(body)
            existing = self.refunds.get(out_refund_no)
            if existing is not None:
                if existing.order is not order or existing.refund != amount["refund"] \
                        or order.total != amount["total"]:
                    raise SandboxError(400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试")
                return self._refund_view(existing)  # the same out_refund_no refunds only once
            if order.state not in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if amount["total"] != order.total:
                raise SandboxError(400, "INVALID_REQUEST", "订单金额与原订单不一致")
            if len(order.refund_nos) >= MAX_REFUNDS_PER_PAYMENT:
                raise SandboxError(400, "INVALID_REQUEST", "订单的退款次数已达到上限50次")
            refunded = sum(r.refund for r in map(self.refunds.get, order.refund_nos) if r.status != "CLOSED")
            if refunded + amount["refund"] > order.total:
                # The real answer to an over-refund; NOT_ENOUGH means the merchant's balance is short.
                raise SandboxError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            balance = self.config.merchant_balance_fen
            if balance is not None and amount["refund"] > balance:
                raise SandboxError(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
            if balance is not None:
                self.config.merchant_balance_fen = balance - amount["refund"]
            refund = Refund(out_refund_no, "503" + random_text(string.digits, 26), order, amount["refund"],
                             body.get("notify_url"), self.now())
            self.refunds[out_refund_no] = refund
            order.refund_nos.append(out_refund_no)
            order.state = "REFUND"
            view = self._refund_view(refund)
        self.scheduler.after(self.config.refund_settle_s, lambda: self._settle(out_refund_no))
        return view

    def query_refund(self, out_refund_no: str) -> dict:
        with self.lock:
            refund = self.refunds.get(out_refund_no)
            if refund is None:
                raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return self._refund_view(refund)

    def _refundable_order(self, body: dict) -> Order:
        if "out_trade_no" in body:
            order = self.orders.get(body["out_trade_no"])
        else:
            order = next((o for o in self.orders.values()
                          if o.transaction_id and o.transaction_id == body["transaction_id"]), None)
        if order is None:
            raise SandboxError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        return order

    def _settle(self, out_refund_no: str) -> None:
        with self.lock:
            refund = self.refunds.get(out_refund_no)
            # None: the records were emptied meanwhile (a billing test starts from a clean
            # sandbox while an earlier test's refund still waits to settle).
            if refund is None or refund.status != "PROCESSING":
                return
            refund.status = self.config.refund_outcome
            if refund.status == "SUCCESS":
                refund.success_time = self.now()
            elif refund.status == "CLOSED" and self.config.merchant_balance_fen is not None:
                self.config.merchant_balance_fen += refund.refund
            order = refund.order
            resource = {"mchid": self.config.mchid, "out_trade_no": order.out_trade_no,
                        "transaction_id": order.transaction_id, "out_refund_no": out_refund_no,
                        "refund_id": refund.refund_id, "refund_status": refund.status,
                        "user_received_account": "支付用户零钱",
                        "amount": {"total": order.total, "refund": refund.refund,
                                   "payer_total": order.total, "payer_refund": refund.refund}}
            if refund.success_time:
                resource["success_time"] = refund.success_time.isoformat()
        if refund.notify_url:
            self.notify(f"REFUND.{refund.status}", resource, order.out_trade_no, out_refund_no,
                        refund.notify_url)

    def _refund_view(self, refund: Refund) -> dict:
        order = refund.order
        view = {"refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no,
                "transaction_id": order.transaction_id, "out_trade_no": order.out_trade_no,
                "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                "create_time": refund.create_time.isoformat(), "status": refund.status,
                "funds_account": "AVAILABLE", "promotion_detail": [],
                "amount": {"total": order.total, "refund": refund.refund, "from": [],
                           "payer_total": order.total, "payer_refund": refund.refund,
                           "settlement_refund": refund.refund, "settlement_total": order.total,
                           "discount_refund": 0, "currency": "CNY", "refund_fee": 0}}
        if refund.success_time:
            view["success_time"] = refund.success_time.isoformat()
        return view
