// How orders read on the board.
export const GRADE_NAMES = {
  "92": "92#汽油", "95": "95#汽油", "98": "98#汽油", "0": "0#柴油",
  "-10": "-10#柴油", "-20": "-20#柴油", "-35": "-35#柴油",
};

export const gradeName = (grade) => GRADE_NAMES[grade] || grade;

// The member levels of the chain (domain/wallet/membership.py DEFAULT_LEVELS), lowest first.
export const MEMBER_LEVELS = { silver: "白银会员", gold: "黄金会员", platinum: "铂金会员" };
export const levelName = (level) => MEMBER_LEVELS[level] || level;

// The last six characters of the order id: what the driver's phone shows and staff read out.
export const shortNo = (order) => order.id.slice(-6).toUpperCase();

// "14:05" in the station's time (Asia/Shanghai), whatever the tablet's clock zone.
export function clock(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleTimeString("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
}

// A confirmed order's refunds in a word: a shorter fill's refund keeps the order FUELLED, so the
// amounts tell, not the status alone.
export function refundState(order) {
  if (order.refund_pending_fen > 0) return "退款处理中";
  if (order.status === "REFUNDED") return "已全额退款";
  if (order.refunded_fen > 0) return "已退款";
  return "无退款";
}

export const WAITING = "PAID";
export const CONFIRMED = ["FUELLED", "PARTIALLY_REFUNDED", "REFUNDED"];

// One page of today's orders split into the board's two lists, newest first as the API gives.
export function splitBoard(items) {
  return {
    waiting: items.filter((o) => o.status === WAITING),
    confirmed: items.filter((o) => CONFIRMED.includes(o.status)),
  };
}

export const ORDER_STATUSES = {
  PENDING_PAYMENT: "待支付", PAID: "已支付待加油", FUELLED: "已加油", PARTIALLY_REFUNDED: "部分退款",
  REFUNDED: "已全额退款", CLOSED: "已关闭",
};

// Finding an order as staff read it out: a piece of its short number ("ZH3", any case), or the
// last digits of an amount (paid or pump, "88" or "188.00" finds ¥188.00).
export function matchesSearch(order, text) {
  const wanted = String(text || "").trim().toUpperCase().replace(/^[#¥]/, "");
  if (!wanted) return true;
  if (shortNo(order).includes(wanted)) return true;
  if (!/^\d+(\.\d{0,2})?$/.test(wanted)) return false;
  return [order.pay_amount_fen, order.pump_amount_fen, order.actual_amount_fen]
    .filter((fen) => Number.isInteger(fen))
    .some((fen) => {
      const whole = String(Math.floor(fen / 100));
      const exact = `${whole}.${String(fen % 100).padStart(2, "0")}`;
      return whole.endsWith(wanted) || exact.endsWith(wanted);
    });
}

// Who changed an order, in words: the driver, a staff member by role, WeChat Pay, or the system.
const ROLE_WORDS = { attendant: "加油员", manager: "站长", hq: "总部" };
export function actorName(actor) {
  if (!actor) return "—";
  const [kind, , role] = actor.split(":");
  if (kind === "staff") return `员工（${ROLE_WORDS[role] || role || "未知岗位"}）`;
  const names = { driver: "司机", job: "系统自动", wechatpay: "微信支付", webhook: "微信支付通知", wallet: "钱包" };
  return names[kind] || actor;
}

export const EVENT_NAMES = {
  ORDER_CREATED: "下单", ORDER_PAID: "支付成功", ORDER_CLOSED: "订单关闭", ORDER_FUELLED: "确认加油",
  PAYMENT_AFTER_CLOSE: "关闭后收到付款", REFUND_REQUESTED: "发起退款", REFUND_SUCCEEDED: "退款成功",
  REFUND_FAILED: "退款失败", REFUND_ABNORMAL: "退款异常", REFUND_REQUEST_OPENED: "司机申请退款",
  REFUND_REQUEST_APPROVED: "同意退款申请", REFUND_REQUEST_DECLINED: "拒绝退款申请",
  REFUND_REQUEST_AUTO_APPROVED: "退款申请超时自动退款",
};

// The amounts an event changed, as "实付 ¥200.00 → ¥190.00" pieces (money fields only).
const AMOUNT_NAMES = {
  pay_amount_fen: "实付", actual_amount_fen: "实收", refunded_fen: "已退", refund_pending_fen: "退款中",
  pump_amount_fen: "油机金额", actual_pump_amount_fen: "实际油机金额", discount_fen: "优惠",
  refund_reserved_fen: "预留退款", coupon_fen: "优惠券", points_fen: "积分抵扣",
};
export function amountChanges(event, yuanOf) {
  const keys = [...new Set([...Object.keys(event.amounts_before || {}), ...Object.keys(event.amounts_after || {})])];
  return keys.filter((k) => (event.amounts_before || {})[k] !== (event.amounts_after || {})[k])
    .map((k) => {
      const name = AMOUNT_NAMES[k] || k;
      const show = (v) => (v === undefined || v === null ? "—" : k.endsWith("_fen") ? yuanOf(v) : String(v));
      return `${name} ${show((event.amounts_before || {})[k])} → ${show((event.amounts_after || {})[k])}`;
    });
}
