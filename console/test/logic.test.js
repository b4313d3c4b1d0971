import { expect, it } from "vitest";
import { errorText } from "../src/errors.js";
import { clock, refundState, shortNo, splitBoard } from "../src/format.js";
import { mayOpen, mayRefund, pagesOf } from "../src/roles.js";

it("says every error in Chinese, known code or not", () => {
  expect(errorText({ status: 422, code: "PUMP_PRICE_ABOVE_GUIDE" })).toBe("挂牌价不能高于指导价");
  expect(errorText({ status: 409, code: "SOMETHING_NEW" })).toBe("数据已被他人修改，请刷新后重试");
  expect(errorText({ status: 502 })).toBe("服务暂时不可用，请稍后重试");
  expect(errorText({ network: true })).toMatch(/网络/);
});

it("keeps the prices page from an attendant", () => {
  expect(mayOpen("attendant", "prices")).toBe(false);
  expect(mayOpen("manager", "prices")).toBe(true);
  expect(mayOpen("manager", "nowhere")).toBe(false);
  expect(pagesOf("attendant")).toEqual(["board"]);
  expect(mayRefund("attendant")).toBe(false);
});

it("splits today's orders into waiting and confirmed, keeping their order", () => {
  const items = [{ id: "a", status: "PAID" }, { id: "b", status: "FUELLED" },
    { id: "c", status: "PENDING_PAYMENT" }, { id: "d", status: "PAID" }, { id: "e", status: "REFUNDED" }];
  const { waiting, confirmed } = splitBoard(items);
  expect(waiting.map((o) => o.id)).toEqual(["a", "d"]);
  expect(confirmed.map((o) => o.id)).toEqual(["b", "e"]);
});

it("shows short numbers, station times and refund states", () => {
  expect(shortNo({ id: "o_0123456789abcdef" })).toBe("ABCDEF");
  expect(clock("2026-12-06T04:05:00Z")).toBe("12:05");
  expect(refundState({ status: "FUELLED", refund_pending_fen: 100 })).toBe("退款处理中");
  expect(refundState({ status: "FUELLED", refund_pending_fen: 0, refunded_fen: 500 })).toBe("已退款");
  expect(refundState({ status: "FUELLED", refund_pending_fen: 0, refunded_fen: 0 })).toBe("无退款");
  expect(refundState({ status: "REFUNDED", refund_pending_fen: 0, refunded_fen: 9 })).toBe("已全额退款");
});
