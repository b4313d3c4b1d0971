// hq's coupon templates and campaigns: the form as the API's TemplateIn, and figures as read.
import { parseYuan } from "./money.js";
import { shanghaiIso } from "./times.js";

export const KINDS = { amount_off: "满减券", per_litre_off: "每升立减券" };
export const AUDIENCES = { public: "领券中心公开领取", campaign: "仅定向发放" };
export const TEMPLATE_STATUSES = { ACTIVE: "可领取", PAUSED: "已暂停", ENDED: "已结束" };
export const TEMPLATE_ACTIONS = { ACTIVE: ["pause", "end"], PAUSED: ["resume", "end"], ENDED: [] };

const whole = (text) => (/^\d+$/.test(String(text).trim()) ? Number(text) : NaN);
const names = (text) => text.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);

// The body of POST /v1/staff/marketing/coupon-templates, and the first problem the form sees.
export function templateBody(f) {
  const off = parseYuan(f.off);
  const body = {
    title: f.title.trim(), kind: f.kind, audience: f.audience,
    starts_at: shanghaiIso(f.startsAt), ends_at: shanghaiIso(f.endsAt),
    total_stock: whole(f.totalStock), per_user_limit: whole(f.perUserLimit),
    amount_off_fen: f.kind === "amount_off" ? off : 0,
    per_litre_off_fen: f.kind === "per_litre_off" ? off : 0,
    min_spend_fen: f.minSpend.trim() ? parseYuan(f.minSpend) : 0,
  };
  if (f.validDays.trim()) body.valid_days = whole(f.validDays);
  if (f.stationIds.trim()) body.station_ids = names(f.stationIds);
  if (f.grades.length) body.grades = f.grades;
  const p = (field, text) => ({ field, text });
  let problem = null;
  if (!body.title) problem = p("title", "请填写券名称");
  else if (!off) problem = p(f.kind === "amount_off" ? "amount_off_fen" : "per_litre_off_fen", "请填写优惠金额（元，最多两位小数）");
  else if (body.min_spend_fen === null) problem = p("min_spend_fen", "门槛金额无效");
  else if (f.kind === "amount_off" && body.min_spend_fen && body.min_spend_fen <= off) problem = p("min_spend_fen", "门槛须高于减免金额（或填 0 表示无门槛）");
  else if (!body.starts_at) problem = p("starts_at", "请选择开始时间");
  else if (!body.ends_at || body.ends_at <= body.starts_at) problem = p("ends_at", "结束时间须晚于开始时间");
  else if (!(body.total_stock >= 1)) problem = p("total_stock", "发行量须为正整数");
  else if (!(body.per_user_limit >= 1)) problem = p("per_user_limit", "每人限领须为正整数");
  else if (body.valid_days !== undefined && !(body.valid_days >= 1)) problem = p("valid_days", "有效天数须为正整数");
  return { body, problem };
}

// Driver ids for a campaign, one per line or separated by commas; duplicates dropped.
export function userIds(text) {
  return [...new Set(names(text))];
}

// How far a campaign got: handled of total, as a percentage for the progress bar.
export function progress(c) {
  const handled = c.granted + c.skipped;
  return { handled, percent: c.total ? Math.round((handled * 100) / c.total) : 100 };
}

export const SKIP_REASONS = { sold_out: "券已领完", limit_reached: "已达每人限领", template_closed: "券已停发", user_not_found: "用户不存在" };
