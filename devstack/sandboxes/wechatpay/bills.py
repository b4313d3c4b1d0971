"""The trade bill: a day's payments and refunds in the real backtick CSV layout with its summary,
ready from 10:00 the next day, for the last three months, behind a download link that lasts
five minutes."""
from __future__ import annotations

import gzip
import hashlib
import re
import secrets
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from chalicelib.domain.times import SHANGHAI
from devstack.sandboxes.wechatpay.config import SandboxError, check_param
from devstack.sandboxes.wechatpay.payments import Order
from devstack.sandboxes.wechatpay.refunds import Refund

FEE_PER_MILLE = 6  # the usual 0.60% rate; the bill shows fees in 1/100000 yuan, unrounded
BILL_LINK_TTL_S = 300
BILL_HEADERS = {
    "ALL": "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
           "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
           "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
    "SUCCESS": "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
               "交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,"
               "费率备注",
    "REFUND": "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
              "付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,"
              "退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
              "费率备注",
}
BILL_SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


class Bills:
    """What the sandbox does with bills (mixed into WeChatPaySandbox, whose lock, config,
    orders, refunds and bill_files it uses)."""

    def trade_bill(self, args, host_url: str) -> dict:
        raw_date, tar_type = args.get("bill_date", ""), args.get("tar_type")
        bill_type = args.get("bill_type", "ALL")
        try:
            bill_date = date.fromisoformat(raw_date) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date) else None
        except ValueError:
            bill_date = None
        check_param(bill_date is not None, "bill_date 格式必须是 yyyy-MM-dd")
        check_param(bill_type in BILL_HEADERS, "bill_type 只能是 ALL、SUCCESS 或 REFUND")
        check_param(tar_type in (None, "GZIP"), "tar_type 只能是 GZIP")
        now = self.now()
        if not now.date() - timedelta(days=92) <= bill_date <= now.date():
            raise SandboxError(400, "INVALID_REQUEST", "参数错误，请检查bill_date（仅支持三个月内的账单）")
        ready_at = datetime.combine(bill_date + timedelta(days=1), clock_time(10), SHANGHAI)
        if now < ready_at and not self.config.bills_available_early:
            raise SandboxError(400, "STATEMENT_CREATING", "账单生成中")
        with self.lock:
            csv = bill_csv(self, bill_date, bill_type)
        if csv is None:
            raise SandboxError(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在")
        data = gzip.compress(csv, mtime=0) if tar_type == "GZIP" else csv
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.bill_files[token] = (data, time.time() + BILL_LINK_TTL_S)
        base = (self.config.base_url or host_url).rstrip("/")
        suffix = "&tartype=gzip" if tar_type == "GZIP" else ""
        return {"hash_type": "SHA1", "hash_value": hashlib.sha1(csv).hexdigest(),
                "download_url": f"{base}/v3/billdownload/file?token={token}{suffix}"}

    def bill_file(self, token: str) -> bytes:
        with self.lock:
            data, expires_at = self.bill_files.get(token, (None, 0.0))
        if data is None or time.time() > expires_at:
            raise SandboxError(400, "INVALID_REQUEST", "账单下载地址已失效，请重新申请")
        return data


def bill_csv(sandbox: Bills, day: date, bill_type: str) -> bytes | None:
    """The day's bill in the real layout: backtick-prefixed fields, yuan amounts, a summary."""
    config, rows = sandbox.config, []
    for order in sandbox.orders.values():
        if bill_type != "REFUND" and order.success_time and order.success_time.date() == day:
            rows.append((order.success_time, _payment_row(config, order)))
    for refund in sandbox.refunds.values():
        if bill_type != "SUCCESS" and refund.create_time.date() == day:
            row = _refund_row(config, refund)
            if bill_type == "REFUND":  # the refund bill dates a row by its payment
                row["交易时间"] = f"{refund.order.success_time:%Y-%m-%d %H:%M:%S}"
            rows.append((refund.create_time, row))
    if not rows:
        return None
    rows.sort(key=lambda row: row[0])
    columns = BILL_HEADERS[bill_type].split(",")
    lines = [BILL_HEADERS[bill_type]]
    lines += [",".join("`" + _bill_text(row[name]) for name in columns) for _, row in rows]
    # _sums: settled amount, refunded, fee units, order amount, refund applied for.
    sums = [sum(row["_sums"][i] for _, row in rows) for i in range(5)]
    lines.append(BILL_SUMMARY_HEADER)
    lines.append(",".join("`" + text for text in (
        str(len(rows)), _yuan(sums[0]), _yuan(sums[1]), "0.00", _fee(sums[2]), _yuan(sums[3]),
        _yuan(sums[4]))))
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def _common_row(config, order: Order, when: datetime) -> dict:
    return {"交易时间": f"{when:%Y-%m-%d %H:%M:%S}", "公众账号ID": config.appid, "商户号": config.mchid,
            "特约商户号": "0", "设备号": "", "微信订单号": order.transaction_id,
            "商户订单号": order.out_trade_no, "用户标识": order.openid, "交易类型": "JSAPI",
            "付款银行": "OTHERS", "货币种类": "CNY", "代金券金额": "0.00", "充值券退款金额": "0.00",
            "商品名称": order.description, "商户数据包": "", "费率": "0.60%", "费率备注": ""}


def _payment_row(config, order: Order) -> dict:
    fee = order.total * FEE_PER_MILLE
    return {**_common_row(config, order, order.success_time), "交易状态": "SUCCESS",
            "应结订单金额": _yuan(order.total), "微信退款单号": "0", "商户退款单号": "0",
            "退款金额": "0.00", "退款类型": "", "退款状态": "", "手续费": _fee(fee),
            "订单金额": _yuan(order.total), "申请退款金额": "0.00",
            "_sums": (order.total, 0, fee, order.total, 0)}


def _refund_row(config, refund: Refund) -> dict:
    order, fee = refund.order, -refund.refund * FEE_PER_MILLE
    success = f"{refund.success_time:%Y-%m-%d %H:%M:%S}" if refund.success_time else ""
    row = {**_common_row(config, order, refund.create_time), "交易状态": "REFUND",
           "应结订单金额": "0.00", "微信退款单号": refund.refund_id, "商户退款单号": refund.out_refund_no,
           "退款金额": _yuan(refund.refund), "退款类型": "ORIGINAL", "退款状态": refund.status,
           "手续费": _fee(fee), "订单金额": "0.00", "申请退款金额": _yuan(refund.refund),
           "退款申请时间": f"{refund.create_time:%Y-%m-%d %H:%M:%S}", "退款成功时间": success,
           "_sums": (0, refund.refund, fee, 0, refund.refund)}
    return row


def _bill_text(value) -> str:
    # A comma or line break inside a field would shift the columns of a backtick CSV.
    return str(value).replace(",", "，").replace("\r", " ").replace("\n", " ")


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _fee(units: int) -> str:
    """Fees are shown in 1/100000 yuan: amount_fen * 6 units is exactly 0.60% of the amount."""
    sign = "-" if units < 0 else ""
    return f"{sign}{abs(units) // 100000}.{abs(units) % 100000:05d}"
