"""What each fuel grade is called on an invoice and its tax classification code (税收分类编码).

Kept as data, one entry per grade a station may sell: a station selling a grade missing here
cannot invoice it (GRADE_NOT_INVOICEABLE) until its entry is added. The codes are those of the
成品油 family of the national goods-and-services classification: 车用汽油 1070101010100000000 and
车用柴油 1070101030100000000 (10701010301-04). 1070101020100000000 is 航空煤油, jet kerosene,
which a filling station never sells.
"""
from __future__ import annotations

from typing import NamedTuple

GASOLINE_TAX_CODE = "1070101010100000000"   # 车用汽油
DIESEL_TAX_CODE = "1070101030100000000"     # 车用柴油
# 未发生销售行为的不征税项目 / 预付卡销售和充值: invoiced without VAT.
PREPAID_TAX_CODE = "6010000000000000000"
REFINED_OIL_CODE_PREFIX = "10701"


class Goods(NamedTuple):
    category: str     # 简称, printed between asterisks: *汽油*
    goods_name: str   # 项目名称
    tax_code: str


# grade -> goods; the order here is the order of the lines on an invoice.
GRADES: dict[str, Goods] = {
    "92": Goods("汽油", "92号车用汽油(VIB)", GASOLINE_TAX_CODE),
    "95": Goods("汽油", "95号车用汽油(VIB)", GASOLINE_TAX_CODE),
    "98": Goods("汽油", "98号车用汽油(VIB)", GASOLINE_TAX_CODE),
    "0": Goods("柴油", "0号车用柴油(VI)", DIESEL_TAX_CODE),
    "-10": Goods("柴油", "-10号车用柴油(VI)", DIESEL_TAX_CODE),
    "-20": Goods("柴油", "-20号车用柴油(VI)", DIESEL_TAX_CODE),
    "-35": Goods("柴油", "-35号车用柴油(VI)", DIESEL_TAX_CODE),
}
