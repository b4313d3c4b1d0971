// Amounts travel as integer fen (分) everywhere; only the screen shows yuan.

export function yuan(fen) {
  if (fen === null || fen === undefined) return "—";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

// "12.3" -> 1230; null when the text is not an amount with at most two decimals.
export function parseYuan(text) {
  const match = /^(\d{1,7})(?:\.(\d{0,2}))?$/.exec(String(text).trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

// The API's div_round_half_up for positive integers (domain/money.py).
function divRoundHalfUp(a, b) {
  return Math.floor((2 * a + b) / (2 * b));
}

// What confirming `pumpFen` will refund: the paid amount scales with the share of the prepaid
// pump amount actually dispensed (domain/orders/lifecycle.py final_charge). null when invalid.
export function confirmRefund(order, pumpFen) {
  if (!Number.isInteger(pumpFen) || pumpFen < 1 || pumpFen > order.pump_amount_fen) return null;
  return order.pay_amount_fen - divRoundHalfUp(order.pay_amount_fen * pumpFen, order.pump_amount_fen);
}

// What may still be refunded of an order.
export function refundable(order) {
  const charged = order.actual_amount_fen ?? order.pay_amount_fen;
  return Math.max(0, charged - order.refunded_fen - order.refund_pending_fen);
}
