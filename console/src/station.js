// A manager's station records: tank stock typed in litres, promotions as the API's PromotionIn.
import { parseYuan } from "./money.js";
import { shanghaiIso } from "./times.js";

export const STOCK_LEVELS = { in_stock: "充足", low: "偏低", out: "缺货", unknown: "未上报" };

// "12345.678" litres -> 12345678 ml; null unless whole litres with at most three decimals.
export function parseLitres(text) {
  const match = /^(\d{1,7})(?:\.(\d{0,3}))?$/.exec(String(text).trim());
  if (!match) return null;
  return Number(match[1]) * 1000 + Number((match[2] || "").padEnd(3, "0"));
}

export const litresText = (ml) => (ml === null || ml === undefined ? "—" : `${(ml / 1000).toFixed(1)} 升`);

// Which figures each kind of promotion takes (domain/stations/promotions.py _FIGURES_BY_KIND).
export const PROMOTION_KINDS = {
  per_litre_off: { name: "每升直降", figures: ["per_litre_off_fen"] },
  per_litre_off_over_amount: { name: "满额每升减", figures: ["threshold_fen", "per_litre_off_fen"] },
  amount_off_over_amount: { name: "满额立减", figures: ["threshold_fen", "amount_off_fen"] },
};
export const FIGURE_NAMES = { per_litre_off_fen: "每升减（元）", threshold_fen: "满（元）", amount_off_fen: "减（元）" };

export function promotionBody(f, stationId) {
  const body = {
    title: f.title.trim(), kind: f.kind, station_ids: [stationId],
    starts_at: shanghaiIso(f.startsAt), ends_at: shanghaiIso(f.endsAt),
  };
  let problem = null;
  for (const name of PROMOTION_KINDS[f.kind].figures) {
    body[name] = parseYuan(f[name] || "");
    if (!body[name] && !problem) problem = { field: name, text: "请填写金额（元，最多两位小数）" };
  }
  if (f.grades.length) body.grades = f.grades;
  if (!body.title) problem = { field: "title", text: "请填写促销名称" };
  else if (!problem && !body.starts_at) problem = { field: "starts_at", text: "请选择开始时间" };
  else if (!problem && (!body.ends_at || body.ends_at <= body.starts_at)) problem = { field: "ends_at", text: "结束时间须晚于开始时间" };
  else if (!problem && body.threshold_fen && body.amount_off_fen && body.threshold_fen <= body.amount_off_fen) {
    problem = { field: "threshold_fen", text: "满额须高于立减金额" };
  }
  return { body, problem };
}
