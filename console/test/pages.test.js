import { expect, it } from "vitest";
import { progress, templateBody, userIds } from "../src/coupons.js";
import { actorName, amountChanges, matchesSearch } from "../src/format.js";
import { yuan } from "../src/money.js";
import { changedBy, mayOpen, needsStation, pagesOf } from "../src/roles.js";
import { parseLitres, promotionBody } from "../src/station.js";

const order = { id: "o_0123456789abcdef", pay_amount_fen: 18800, pump_amount_fen: 20000, actual_amount_fen: null };

it("finds an order by a piece of its short number or the last digits of an amount", () => {
  expect(matchesSearch(order, "")).toBe(true);
  expect(matchesSearch(order, "cde")).toBe(true);
  expect(matchesSearch(order, "#ABCDEF")).toBe(true);
  expect(matchesSearch(order, "88")).toBe(true);
  expect(matchesSearch(order, "188.00")).toBe(true);
  expect(matchesSearch(order, "¥200")).toBe(true);
  expect(matchesSearch(order, "77")).toBe(false);
  expect(matchesSearch(order, "XYZ")).toBe(false);
});

it("says who changed an order and which amounts moved", () => {
  expect(actorName("staff:s_1:manager")).toBe("员工（站长）");
  expect(actorName("driver:u_1")).toBe("司机");
  expect(actorName("job:reconciliation")).toBe("系统自动");
  expect(actorName("something-new")).toBe("something-new");
  expect(amountChanges({ amounts_before: { refunded_fen: 0, pay_amount_fen: 100 },
    amounts_after: { refunded_fen: 500, pay_amount_fen: 100 } }, yuan)).toEqual(["已退 ¥0.00 → ¥5.00"]);
});

it("names who changed the prices, by the staff id only where no name was kept", () => {
  expect(changedBy({ role: "manager", changed_by: "s_1", changed_by_name: "郝丽萍" })).toBe("站长 郝丽萍");
  expect(changedBy({ role: "manager", changed_by: "s_1", changed_by_name: null })).toBe("站长 s_1");
  expect(changedBy({ role: "auditor", changed_by: "s_2" })).toBe("auditor s_2");
});

it("reads tank litres to millilitres", () => {
  expect(parseLitres("12345.678")).toBe(12345678);
  expect(parseLitres("0")).toBe(0);
  expect(parseLitres("1.5")).toBe(1500);
  expect(parseLitres("1.2345")).toBeNull();
  expect(parseLitres("-1")).toBeNull();
});

const promo = (patch) => ({ title: "周末直降", kind: "per_litre_off", grades: [], per_litre_off_fen: "0.30",
  threshold_fen: "", amount_off_fen: "", startsAt: "2026-12-06T09:00", endsAt: "2026-12-07T09:00", ...patch });

it("sends a promotion with only the figures its kind takes", () => {
  expect(promotionBody(promo(), "ty-001")).toEqual({ problem: null, body: {
    title: "周末直降", kind: "per_litre_off", station_ids: ["ty-001"], per_litre_off_fen: 30,
    starts_at: "2026-12-06T01:00:00Z", ends_at: "2026-12-07T01:00:00Z" } });
  const over = promotionBody(promo({ kind: "amount_off_over_amount", threshold_fen: "200", amount_off_fen: "20", grades: ["92"] }), "ty-001");
  expect(over.problem).toBeNull();
  expect(over.body).toMatchObject({ threshold_fen: 20000, amount_off_fen: 2000, grades: ["92"] });
  expect(over.body.per_litre_off_fen).toBeUndefined();
  expect(promotionBody(promo({ kind: "amount_off_over_amount", threshold_fen: "20", amount_off_fen: "20" }), "x").problem.field).toBe("threshold_fen");
  expect(promotionBody(promo({ per_litre_off_fen: "" }), "x").problem.field).toBe("per_litre_off_fen");
  expect(promotionBody(promo({ title: " " }), "x").problem.field).toBe("title");
});

const tpl = (patch) => ({ title: "满100减10", kind: "amount_off", audience: "public", off: "10", minSpend: "100",
  totalStock: "1000", perUserLimit: "1", validDays: "", stationIds: "", grades: [],
  startsAt: "2026-12-06T09:00", endsAt: "2027-01-05T09:00", ...patch });

it("sends a coupon template with the figures of its kind, in fen", () => {
  const { body, problem } = templateBody(tpl());
  expect(problem).toBeNull();
  expect(body).toEqual({ title: "满100减10", kind: "amount_off", audience: "public",
    starts_at: "2026-12-06T01:00:00Z", ends_at: "2027-01-05T01:00:00Z", total_stock: 1000, per_user_limit: 1,
    amount_off_fen: 1000, per_litre_off_fen: 0, min_spend_fen: 10000 });
  const litre = templateBody(tpl({ kind: "per_litre_off", off: "0.3", minSpend: "", stationIds: "ty-001，ty-002", grades: ["92"], validDays: "7" }));
  expect(litre.body).toMatchObject({ per_litre_off_fen: 30, amount_off_fen: 0, min_spend_fen: 0,
    station_ids: ["ty-001", "ty-002"], grades: ["92"], valid_days: 7 });
  expect(templateBody(tpl({ minSpend: "10" })).problem.field).toBe("min_spend_fen");
  expect(templateBody(tpl({ totalStock: "0" })).problem.field).toBe("total_stock");
  expect(templateBody(tpl({ off: "" })).problem.field).toBe("amount_off_fen");
});

it("reads campaign lists and progress", () => {
  expect(userIds("u_1\nu_2, u_1，u_3 ")).toEqual(["u_1", "u_2", "u_3"]);
  expect(progress({ total: 4, granted: 2, skipped: 1 })).toEqual({ handled: 3, percent: 75 });
});

it("keeps hq's chain pages from station staff and lets them open without a station", () => {
  expect(pagesOf("manager")).toEqual(["board", "orders", "prices", "station", "reconciliation"]);
  expect(mayOpen("manager", "popups")).toBe(false);
  expect(mayOpen("attendant", "reconciliation")).toBe(false);
  expect(needsStation("popups")).toBe(false);
  expect(needsStation("reconciliation")).toBe(true);
});

it("merges lists by the key each list names its items with", async () => {
  const { mergeCreated } = await import("../src/useList.js");
  const byName = (a) => a.username;
  expect(mergeCreated([{ username: "new" }, { username: "b" }], [{ username: "b" }], byName))
    .toEqual([{ username: "new" }, { username: "b" }]);
});
