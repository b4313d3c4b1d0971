"""What the issuer sandbox refuses, field by field, as the platform does.

Each rule cites where its limit is documented: Nuonuo's field tables of requestBillingNew
(诺税通saas请求开具发票接口 V2.0, "私有请求参数": 必填 / 最大长度) and saveInvoiceRedConfirm (数电
红字确认单申请), and ../shared/PROTOCOLS.md where it is stricter (clerk). Lengths count
characters. A violation is answered with the platform's parameter error and a reason naming
the field, never accepted.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple


class Rule(NamedTuple):
    required: bool
    max_len: int | None = None
    values: frozenset[str] | None = None   # the documented enumeration, when there is one
    pattern: str | None = None


def _one_of(*values: str) -> frozenset[str]:
    return frozenset(values)


DATE_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
INVOICE_LINES = _one_of("p", "c", "s", "e", "f", "r", "b", "j", "u", "bs", "pc", "es", "ec")
DIGITAL_LINES = _one_of("bs", "pc", "es", "ec")   # 数电 kinds
# 数电 favouredPolicyFlag: 01 简易征收 ... 04 不征税 ... 18 (requestBillingNew, invoiceDetail).
DIGITAL_POLICIES = frozenset(f"{n:02d}" for n in range(1, 19))

# requestBillingNew `order` (私有请求参数 table).
ORDER: dict[str, Rule] = {
    "orderNo": Rule(True, 20),                 # 订单号（每个企业唯一）Y 20
    "invoiceDate": Rule(True, 20, pattern=DATE_TIME),   # 订单时间 Y 20
    "invoiceType": Rule(True, 1, _one_of("1", "2")),    # 开票类型 1 蓝票 2 红票
    "invoiceLine": Rule(False, 2, INVOICE_LINES),       # 发票种类 N 2
    "specificFactor": Rule(False, 2, _one_of(*"0123456", "9", "16", "31", "32", "33", "34",
                                             "35")),    # 特定要素 N 2
    "salerTaxNum": Rule(True, 20),             # 销方税号 Y 20
    # 销方电话 / 地址: Y, but may be left out when set in the 诺税通 workbench.
    "salerTel": Rule(False, 20),
    "salerAddress": Rule(False, 80),
    "salerAccount": Rule(False, 100),          # 销方银行开户行及账号 N 100
    "buyerName": Rule(True, 100),              # 购方名称 Y 100
    "buyerTaxNum": Rule(False, 20),            # 购方税号 N 20
    "buyerTel": Rule(False, 50),               # 购方电话 N 50 (with the address at most 100)
    "buyerAddress": Rule(False, 80),           # 购方地址 N 80
    "buyerAccount": Rule(False, 100),          # 购方银行开户行及账号 N 100
    "naturalPersonFlag": Rule(False, 1, _one_of("0", "1")),   # 购买方自然人标志 N 1
    "pushMode": Rule(False, 2, _one_of("-1", "0", "1", "2")),  # 推送方式 N 2
    "buyerPhone": Rule(False, 20),             # 购方手机: required with pushMode 1 or 2
    "email": Rule(False, 50),                  # 推送邮箱: required with pushMode 0 or 2
    # 开票员 Y: for 数电 the drawer bound to the invoicing account. PROTOCOLS.md: at most 8
    # (the 2.0 SDK table says 20; the stricter limit is the one the platform enforces for 数电).
    "clerk": Rule(True, 8),
    "remark": Rule(False, 200),                # 备注 230, 数电票时最长为200字符
}
# requestBillingNew `order.invoiceDetail[]`.
DETAIL: dict[str, Rule] = {
    "goodsName": Rule(True, 90),               # 商品名称 Y 90
    "goodsCode": Rule(False, 19, pattern=r"\d{19}"),   # 商品编码 N 19
    "withTaxFlag": Rule(True, 1, _one_of("0", "1")),   # 单价含税标志 Y 1
    "price": Rule(False, 16),                  # 单价 N 16, at most 8 decimals
    "num": Rule(False, 16),                    # 数量 N 16, at most 8 decimals
    "unit": Rule(False, 20),                   # 单位 N 20
    "specType": Rule(False, 40),               # 规格型号 N 40
    "tax": Rule(False, 16),                    # 税额 N 16
    "taxRate": Rule(True, 10),                 # 税率 Y 10
    "taxExcludedAmount": Rule(False, 16),      # 不含税金额 N 16
    "taxIncludedAmount": Rule(False, 16),      # 含税金额 N 16
    "invoiceLineProperty": Rule(False, 1, _one_of("0", "1", "2")),   # 发票行性质 N 1
    "favouredPolicyFlag": Rule(False, 2),      # 优惠政策标识 N 2 (数电 values below)
    "zeroRateFlag": Rule(False, 1, _one_of("1", "2", "3")),   # 零税率标识 N 1 (数电时为空)
}
MAX_DETAILS = 2000                             # 发票明细 最大2000行
# saveInvoiceRedConfirm (数电快捷冲红 红字确认单申请).
RED_CONFIRM: dict[str, Rule] = {
    "billId": Rule(True, 32),                  # 红字确认单申请号 32 (we always send ours)
    "blueInvoiceLine": Rule(True, 2, _one_of("bs", "pc", "es", "ec", "p", "c", "s", "b")),
    "applySource": Rule(True, 2, _one_of("0", "1")),    # 申请方身份 0 销方 1 购方
    "blueElecInvoiceNumber": Rule(True, 20, pattern=r"\d{20}"),   # 蓝字数电票号码 (数电必传) 20
    "sellerTaxNo": Rule(True, 20),             # 销方税号 Y 20
    "sellerName": Rule(False, 100),            # 销方名称 100, may be empty when the seller applies
    "buyerTaxNo": Rule(False, 20),             # 购方税号 N 20
    "buyerName": Rule(True, 100),              # 购方名称 Y 100
    "redReason": Rule(True, 1, _one_of("1", "2", "3", "4")),   # 冲红原因
}


def check_fields(data: dict, rules: dict[str, Rule], where: str = "") -> None:
    """Raise ValueError naming the first field that breaks its rule."""
    for name, rule in rules.items():
        value = data.get(name)
        text = "" if value is None else str(value)
        label = f"{where}{name}"
        if not isinstance(value, (str, int, type(None))) or isinstance(value, bool):
            raise ValueError(f"{label} 格式错误")
        if not text.strip():
            if rule.required:
                raise ValueError(f"{label} 不能为空")
            continue
        if rule.max_len is not None and len(text) > rule.max_len:
            raise ValueError(f"{label} 长度不能超过{rule.max_len}")
        if rule.values is not None and text not in rule.values:
            raise ValueError(f"{label} 取值错误")
        if rule.pattern is not None and not re.fullmatch(rule.pattern, text):
            raise ValueError(f"{label} 格式错误")


def money(value) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as err:
        raise ValueError(f"not a number: {value!r}") from err


def _decimals(value: str, at_most: int) -> bool:
    return len(value.partition(".")[2]) <= at_most


def check_order(order) -> None:
    """Refuse what the platform refuses before accepting a requestBillingNew order."""
    if not isinstance(order, dict):
        raise ValueError("order 不能为空")
    check_fields(order, ORDER)
    if len(order.get("buyerTel") or "") + len(order.get("buyerAddress") or "") > 100:
        raise ValueError("buyerAddress+buyerTel 总长度不能超过100")   # 购方地址+电话总共不超100字符
    push = str(order.get("pushMode") or "1")   # 默认 1 (手机)
    if push in ("1", "2") and not order.get("buyerPhone"):
        raise ValueError("buyerPhone 不能为空")
    if push in ("0", "2") and not order.get("email"):
        raise ValueError("email 不能为空")
    details = order.get("invoiceDetail")
    if not isinstance(details, list) or not details:
        raise ValueError("invoiceDetail 不能为空")
    if len(details) > MAX_DETAILS:
        raise ValueError(f"invoiceDetail 不能超过{MAX_DETAILS}行")
    digital = order.get("invoiceLine") in DIGITAL_LINES
    refined_oil = order.get("specificFactor") == "1"
    for index, line in enumerate(details):
        if not isinstance(line, dict):
            raise ValueError("invoiceDetail 格式错误")
        check_fields(line, DETAIL, f"invoiceDetail[{index}].")
        _check_line(line, digital, refined_oil)


def _check_line(line: dict, digital: bool, refined_oil: bool) -> None:
    name = line.get("goodsName")
    policy, zero = str(line.get("favouredPolicyFlag") or ""), str(line.get("zeroRateFlag") or "")
    if digital and zero:
        raise ValueError(f"{name}: 数电票 zeroRateFlag 须为空")
    if policy and policy not in (DIGITAL_POLICIES if digital else _one_of("0", "1")):
        raise ValueError(f"{name}: favouredPolicyFlag 取值错误")
    for key in ("price", "num"):
        if line.get(key) not in (None, "") and not _decimals(str(line[key]), 8):
            raise ValueError(f"{name}: {key} 最多8位小数")
    if (line.get("price") in (None, "")) != (line.get("num") in (None, "")):
        raise ValueError(f"{name}: 单价为空时数量也必须为空")
    gross, net = money(line.get("taxIncludedAmount")), money(line.get("taxExcludedAmount"))
    tax, rate = money(line.get("tax")), money(line.get("taxRate"))
    if gross != net + tax:
        raise ValueError(f"{name}: 含税金额不等于不含税金额加税额")
    if abs(net * rate - tax) > Decimal("0.06"):
        raise ValueError(f"{name}: 税额误差超过0.06")
    code = str(line.get("goodsCode") or "")
    if len(code) != 19:
        raise ValueError(f"{name}: 商品编码应为19位数字")
    if line.get("num") not in (None, ""):
        if abs(money(line["num"]) * money(line.get("price")) - gross) > Decimal("0.01"):
            raise ValueError(f"{name}: 单价乘数量不等于金额")
    if refined_oil and (not code.startswith("10701") or line.get("unit") not in ("升", "吨")
                        or line.get("num") in (None, "")):
        raise ValueError(f"{name}: 成品油发票须为成品油编码，单位升或吨并有数量")
