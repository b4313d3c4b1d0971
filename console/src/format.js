// How orders read on the board.
export const GRADE_NAMES = {
  "92": "92#汽油", "95": "95#汽油", "98": "98#汽油", "0": "0#柴油",
  "-10": "-10#柴油", "-20": "-20#柴油", "-35": "-35#柴油",
};

export const gradeName = (grade) => GRADE_NAMES[grade] || grade;

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
