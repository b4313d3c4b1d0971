// hq's home popups and banners: the form's fields as the API's PopupIn, and a popup as hq reads it.
import { levelName } from "./format.js";
import { shanghaiIso } from "./times.js";

export const PLACEMENTS = { popup: "首页弹窗", banner: "首页横幅" };
export const FREQUENCIES = { once_per_day: "每人每天最多一次", once_ever: "每人仅一次", unlimited: "不限次数" };
export const STATUSES = { scheduled: "未开始", live: "投放中", paused: "已暂停", ended: "已结束" };


// What hq may do to a popup in each status (the API refuses the rest with a 409).
export function actionsOf(status) {
  if (status === "live" || status === "scheduled") return ["pause", "end"];
  if (status === "paused") return ["resume", "end"];
  return [];
}

export const ACTION_NAMES = { pause: "暂停", resume: "恢复", end: "结束" };

const splitNames = (text) => text.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
const whole = (text) => (/^\d+$/.test(String(text).trim()) ? Number(text) : NaN);

// The targeting part of the form as the API's rules; every rule must hold (none: everyone).
export function rulesOf(t) {
  const rules = [];
  if (t.newUser) rules.push({ kind: "new_user", days: whole(t.newUserDays) });
  if (t.levels.length) rules.push({ kind: "member_level", levels: t.levels });
  if (t.near) rules.push({ kind: "near_station", station_id: t.nearStation.trim(), radius_m: whole(t.nearRadius) });
  if (t.district) rules.push({ kind: "district", districts: splitNames(t.districts) });
  if (t.inactive) rules.push({ kind: "inactive_days", days: whole(t.inactiveDays) });
  return rules;
}

export const EMPTY_TARGETING = {
  newUser: false, newUserDays: "7", levels: [], near: false, nearStation: "", nearRadius: "3000",
  district: false, districts: "", inactive: false, inactiveDays: "30",
};

const complete = (rule) => Object.values(rule).every((v) =>
  (typeof v === "number" ? Number.isInteger(v) && v > 0 : v.length > 0));

// The body of POST /v1/staff/marketing/popups, and the first problem the form can see itself.
export function popupBody(form) {
  const body = {
    title: form.title.trim(), image_url: form.imageUrl.trim(), placement: form.placement,
    starts_at: shanghaiIso(form.startsAt), ends_at: shanghaiIso(form.endsAt),
    priority: whole(form.priority), frequency: form.frequency, rules: rulesOf(form.targeting),
  };
  if (form.link.trim()) body.link = form.link.trim();
  let problem = null;
  if (!body.title) problem = { field: "title", text: "请填写标题" };
  else if (!/^https:\/\/\S+$/.test(body.image_url)) problem = { field: "image_url", text: "图片地址须以 https:// 开头" };
  else if (!body.starts_at) problem = { field: "starts_at", text: "请选择开始时间" };
  else if (!body.ends_at) problem = { field: "ends_at", text: "请选择结束时间" };
  else if (body.ends_at <= body.starts_at) problem = { field: "ends_at", text: "结束时间须晚于开始时间" };
  else if (!Number.isInteger(body.priority) || body.priority > 1000) problem = { field: "priority", text: "优先级为 0 至 1000 的整数" };
  else if (!body.rules.every(complete)) problem = { field: "rules", text: "请填写完整勾选的投放条件（天数、半径为正整数）" };
  return { body, problem };
}

// One rule in the words hq reads in the list.
export function describeRule(rule) {
  switch (rule.kind) {
    case "new_user": return `注册 ${rule.days} 天内的新用户`;
    case "member_level": return rule.levels.map(levelName).join("、");
    case "near_station": return `油站 ${rule.station_id} 周边 ${rule.radius_m} 米`;
    case "district": return `区县：${rule.districts.join("、")}`;
    case "inactive_days": return `${rule.days} 天以上未加油`;
    default: return rule.kind;
  }
}

export const audience = (rules) => (rules.length ? rules.map(describeRule).join("；") : "全部用户");

// Clicks per view as a percentage with one decimal; "—" before anyone saw it.
export function clickRate({ shown, clicked }) {
  if (!shown) return "—";
  return `${(Math.round((clicked * 1000) / shown) / 10).toFixed(1)}%`;
}
