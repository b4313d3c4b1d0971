import { describe, expect, it } from "vitest";
import { confirmRefund, parseYuan, refundable, yuan } from "../src/money.js";

describe("money", () => {
  it("shows fen as yuan", () => {
    expect(yuan(30000)).toBe("¥300.00");
    expect(yuan(5)).toBe("¥0.05");
    expect(yuan(null)).toBe("—");
  });

  it("reads typed yuan as fen, refusing what is not an amount", () => {
    expect(parseYuan("250")).toBe(25000);
    expect(parseYuan("12.3")).toBe(1230);
    expect(parseYuan("0.05")).toBe(5);
    for (const bad of ["", "1.234", "-1", "abc", "1e3"]) expect(parseYuan(bad)).toBe(null);
  });

  it("previews the refund of a shorter fill as the API rounds it", () => {
    const order = { pump_amount_fen: 30000, pay_amount_fen: 28500 };
    expect(confirmRefund(order, 30000)).toBe(0);
    expect(confirmRefund(order, 25000)).toBe(28500 - 23750);
    // 28500 * 10001 / 30000 = 9500.95 -> 9501
    expect(confirmRefund({ pump_amount_fen: 30000, pay_amount_fen: 28500 }, 10001)).toBe(28500 - 9501);
    expect(confirmRefund(order, 30001)).toBe(null);
    expect(confirmRefund(order, 0)).toBe(null);
  });

  it("counts what is still refundable", () => {
    expect(refundable({ pay_amount_fen: 10000, actual_amount_fen: 8000, refunded_fen: 2000,
      refund_pending_fen: 0 })).toBe(6000);
    expect(refundable({ pay_amount_fen: 10000, actual_amount_fen: null, refunded_fen: 0,
      refund_pending_fen: 10000 })).toBe(0);
  });
});
