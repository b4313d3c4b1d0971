// A reconciled day as a manager reads it: WeChat Pay's bill against our orders.

export const RUN_STATUSES = {
  DONE: "已完成对账",
  NOT_READY: "微信支付账单尚未生成，系统会自动重试",
  REJECTED: "账单校验未通过，已上报处理",
};

export const KINDS = {
  PAID_NOT_RECORDED: "微信已收款，订单未记为已支付",
  MISSING_IN_BILL: "订单已支付，账单中没有",
  AMOUNT_MISMATCH: "金额不一致",
  REFUND_MISMATCH: "退款不一致",
  DUPLICATE: "账单重复记录",
  UNKNOWN_ORDER: "账单中有未知订单",
};

export const ACTIONS = {
  mark_paid: "补记为已支付",
  refund: "原路退款",
  query_payment: "查询支付结果",
  query_refund: "查询退款结果",
  investigate: "人工核查",
};

export const OUTCOMES = {
  PENDING: "待处理",
  HEALED: "已自动修复",
  ALREADY_APPLIED: "此前已处理",
  NOT_PAID: "确认未支付",
  REFUSED: "已拒绝",
  FAILED: "处理失败，将重试",
  REPORTED: "待人工处理",
};

export const SEEN_STATUSES = {
  SUCCESS: "支付成功", REFUND: "已退款", PENDING_PAYMENT: "待支付", PAID: "已支付",
  FUELLED: "已加油", PARTIALLY_REFUNDED: "部分退款", REFUNDED: "已退款", CLOSED: "已关闭",
};

export const label = (table, key) => (key ? table[key] || key : "—");

// "¥12.34 已支付" for one side of a difference.
export function seenText(seen, yuan) {
  if (!seen) return "—";
  return `${yuan(seen.amount_fen)} ${label(SEEN_STATUSES, seen.status)}`;
}

// Differences that still need a person, first; then the rest in the API's order.
export function needsPerson(difference) {
  return ["PENDING", "FAILED", "REPORTED"].includes(difference.outcome);
}

export function csvName(report) {
  return `结算单-${report.station_id || "全部油站"}-${report.bill_date}.csv`;
}
