import { expect, it } from "vitest";
import { query } from "../src/api.js";
import {
  EMPTY_TARGETING, actionsOf, audience, clickRate, popupBody, rulesOf,
} from "../src/popups.js";
import { csvName, needsPerson, seenText } from "../src/reconcile.js";
import { dayTime, localInput, shanghaiDay, shanghaiIso } from "../src/times.js";
import { yuan } from "../src/money.js";

const form = (patch = {}) => ({
  title: " 冬季礼 ", imageUrl: "https://img.example.com/a.png", link: "", placement: "popup",
  priority: "10", frequency: "once_per_day", startsAt: "2026-12-06T09:00", endsAt: "2026-12-13T09:00",
  targeting: { ...EMPTY_TARGETING }, ...patch,
});

it("reads the form's times in Shanghai, whatever the tablet's zone", () => {
  expect(shanghaiIso("2026-12-06T09:00")).toBe("2026-12-06T01:00:00Z");
  expect(shanghaiIso("2026-12-06T03:30")).toBe("2026-12-05T19:30:00Z");
  expect(shanghaiIso("")).toBeNull();
  expect(shanghaiIso("2026-12-06")).toBeNull();
  expect(localInput(new Date("2026-12-05T19:30:00Z"))).toBe("2026-12-06T03:30");
  expect(shanghaiDay(new Date("2026-12-05T16:00:00Z"))).toBe("2026-12-06");
  expect(shanghaiDay(new Date("2026-12-05T15:59:59Z"))).toBe("2026-12-05");
  expect(shanghaiDay(new Date("2026-12-05T16:00:00Z"), -1)).toBe("2026-12-05");
  const now = new Date("2026-12-06T07:00:00Z");
  expect(dayTime("2026-12-06T01:00:00Z", now)).toBe("12-06 09:00");
  expect(dayTime("2027-12-06T07:08:00Z", now)).toBe("2027-12-06 15:08");
  expect(dayTime("2026-12-31T16:30:00Z", now)).toBe("2027-01-01 00:30");
});

it("sends a popup as the API's PopupIn", () => {
  const { body, problem } = popupBody(form());
  expect(problem).toBeNull();
  expect(body).toEqual({
    title: "冬季礼", image_url: "https://img.example.com/a.png", placement: "popup",
    starts_at: "2026-12-06T01:00:00Z", ends_at: "2026-12-13T01:00:00Z", priority: 10,
    frequency: "once_per_day", rules: [],
  });
  expect(popupBody(form({ link: "pages/coupons/index" })).body.link).toBe("pages/coupons/index");
});

it("names the field a popup form gets wrong before sending it", () => {
  expect(popupBody(form({ title: "  " })).problem.field).toBe("title");
  expect(popupBody(form({ imageUrl: "http://x/a.png" })).problem.field).toBe("image_url");
  expect(popupBody(form({ endsAt: "" })).problem.field).toBe("ends_at");
  expect(popupBody(form({ endsAt: "2026-12-06T08:59" })).problem.text).toBe("结束时间须晚于开始时间");
  expect(popupBody(form({ priority: "-1" })).problem.field).toBe("priority");
  expect(popupBody(form({ priority: "1001" })).problem.field).toBe("priority");
});

it("turns ticked targeting into rules every driver shown must match", () => {
  const t = { ...EMPTY_TARGETING, newUser: true, levels: ["gold"], near: true, nearStation: " ty-001 ",
    district: true, districts: "迎泽区、小店区, 杏花岭区", inactive: true, inactiveDays: "45" };
  expect(rulesOf(t)).toEqual([
    { kind: "new_user", days: 7 }, { kind: "member_level", levels: ["gold"] },
    { kind: "near_station", station_id: "ty-001", radius_m: 3000 },
    { kind: "district", districts: ["迎泽区", "小店区", "杏花岭区"] },
    { kind: "inactive_days", days: 45 },
  ]);
  expect(rulesOf(EMPTY_TARGETING)).toEqual([]);
  const halfFilled = (patch) => popupBody(form({ targeting: { ...EMPTY_TARGETING, ...patch } })).problem;
  expect(halfFilled({ newUser: true, newUserDays: "x" }).field).toBe("rules");
  expect(halfFilled({ near: true, nearStation: "" }).field).toBe("rules");
  expect(halfFilled({ inactive: true, inactiveDays: "0" }).field).toBe("rules");
  expect(halfFilled({ near: true, nearStation: "ty-001" })).toBeNull();
  expect(audience([])).toBe("全部用户");
  expect(audience(rulesOf(t).slice(0, 2))).toBe("注册 7 天内的新用户；黄金会员");
});

it("offers only the changes the API allows in each status", () => {
  expect(actionsOf("live")).toEqual(["pause", "end"]);
  expect(actionsOf("scheduled")).toEqual(["pause", "end"]);
  expect(actionsOf("paused")).toEqual(["resume", "end"]);
  expect(actionsOf("ended")).toEqual([]);
  expect(clickRate({ shown: 0, clicked: 0 })).toBe("—");
  expect(clickRate({ shown: 3, clicked: 1 })).toBe("33.3%");
});

it("reads a reconciled day", () => {
  expect(seenText({ status: "SUCCESS", amount_fen: 15000 }, yuan)).toBe("¥150.00 支付成功");
  expect(seenText(null, yuan)).toBe("—");
  expect(needsPerson({ outcome: "REPORTED" })).toBe(true);
  expect(needsPerson({ outcome: "HEALED" })).toBe(false);
  expect(csvName({ station_id: "ty-047", bill_date: "2026-12-06" })).toBe("结算单-ty-047-2026-12-06.csv");
  expect(query({ station_id: "ty 1", format: null, date: "" })).toBe("?station_id=ty%201");
  expect(query({})).toBe("");
});

it("keeps what was created on this page above a first load that answered late", async () => {
  const { mergeCreated } = await import("../src/useList.js");
  expect(mergeCreated([{ id: "new" }], [{ id: "a" }, { id: "b" }]).map((x) => x.id)).toEqual(["new", "a", "b"]);
  expect(mergeCreated([{ id: "a", v: 1 }], [{ id: "a", v: 2 }])).toEqual([{ id: "a", v: 2 }]);
});
