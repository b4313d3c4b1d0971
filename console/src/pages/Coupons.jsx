import { useEffect, useRef, useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText, OtherError } from "../ErrorText.jsx";
import {
  AUDIENCES, KINDS, SKIP_REASONS, TEMPLATE_ACTIONS, TEMPLATE_STATUSES, progress, templateBody, userIds,
} from "../coupons.js";
import { GRADE_NAMES } from "../format.js";
import { yuan } from "../money.js";
import { ACTION_NAMES } from "../popups.js";
import { dayTime, localInput } from "../times.js";
import { useCreateForm } from "../useCreateForm.jsx";
import { usePagedList } from "../useList.js";
import { useRequest } from "../useRequest.js";

const FIELDS = ["title", "kind", "amount_off_fen", "per_litre_off_fen", "min_spend_fen", "starts_at", "ends_at",
  "total_stock", "per_user_limit", "valid_days", "station_ids", "grades", "audience"];
const CAMPAIGN_POLL_MS = 2000;

function freshForm() {
  const now = new Date();
  return {
    title: "", kind: "amount_off", audience: "public", off: "", minSpend: "", totalStock: "1000",
    perUserLimit: "1", validDays: "", stationIds: "", grades: [],
    startsAt: localInput(now), endsAt: localInput(new Date(now.getTime() + 30 * 86400000)),
  };
}

function TemplateForm({ onCreated }) {
  const { form, set, text, at, toggle, submit, request } = useCreateForm({
    fresh: freshForm, toBody: templateBody, path: "/v1/staff/marketing/coupon-templates", onCreated });
  const toggleGrade = (g) => toggle("grades", g);

  const offField = form.kind === "amount_off" ? "amount_off_fen" : "per_litre_off_fen";
  return (
    <form class="card" onSubmit={submit} aria-label="新建优惠券">
      <h2>新建优惠券</h2>
      <div class="grid2">
        <label>名称<input name="title" maxLength={64} {...text("title")} />{at("title")}</label>
        <label>类型
          <select name="kind" value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value })}>
            {Object.entries(KINDS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
          </select></label>
        <label>{form.kind === "amount_off" ? "减免金额（元）" : "每升减（元）"}
          <input name="off" inputmode="decimal" {...text("off")} />{at(offField)}</label>
        <label>使用门槛（元，0 或不填为无门槛）<input name="min_spend" inputmode="decimal" {...text("minSpend")} />{at("min_spend_fen")}</label>
        <label>领取开始（北京时间）<input type="datetime-local" name="starts_at" {...text("startsAt")} />{at("starts_at")}</label>
        <label>领取结束（北京时间）<input type="datetime-local" name="ends_at" {...text("endsAt")} />{at("ends_at")}</label>
        <label>发行量（张）<input name="total_stock" inputmode="numeric" {...text("totalStock")} />{at("total_stock")}</label>
        <label>每人限领（张）<input name="per_user_limit" inputmode="numeric" {...text("perUserLimit")} />{at("per_user_limit")}</label>
        <label>领取后有效天数（不填则到领取结束）<input name="valid_days" inputmode="numeric" {...text("validDays")} />{at("valid_days")}</label>
        <label>发放方式
          <select name="audience" value={form.audience} onChange={(e) => set({ audience: e.currentTarget.value })}>
            {Object.entries(AUDIENCES).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
          </select></label>
        <label class="span2">适用油站（编号，逗号分隔；不填为全部油站）<input name="station_ids" placeholder="ty-001, ty-002" {...text("stationIds")} />{at("station_ids")}</label>
      </div>
      <fieldset>
        <legend>适用油品（不勾选为全部油品）</legend>
        {Object.entries(GRADE_NAMES).map(([g, name]) => (
          <label key={g} class="check"><input type="checkbox" checked={form.grades.includes(g)} onChange={() => toggleGrade(g)} />{name}</label>
        ))}
        {at("grades")}
      </fieldset>
      <OtherError error={request.error} fields={FIELDS} testId="template-create-error" />
      <div class="actions">
        <button type="submit" class="primary" disabled={request.busy}>{request.busy ? "创建中…" : "创建"}</button>
      </div>
    </form>
  );
}

// A campaign's progress, read again every few seconds until the queue has handled every driver.
function CampaignProgress({ campaign }) {
  const [c, setC] = useState(campaign);
  const [error, setError] = useState(null);
  const timer = useRef(null);
  useEffect(() => {
    let stopped = false;
    async function tick() {
      try {
        const answer = await call("GET", `/v1/staff/marketing/campaigns/${campaign.id}`);
        if (stopped) return;
        setC(answer.data);
        setError(null);
        if (answer.data.status === "DONE") return;
      } catch (err) {
        if (stopped) return;
        setError(err);
      }
      timer.current = setTimeout(tick, CAMPAIGN_POLL_MS);
    }
    if (campaign.status !== "DONE") timer.current = setTimeout(tick, CAMPAIGN_POLL_MS);
    return () => { stopped = true; clearTimeout(timer.current); };
  }, [campaign.id]);
  const { handled, percent } = progress(c);
  const skipped = Object.entries(c.skipped_by_reason).filter(([, n]) => n > 0);
  return (
    <li class="campaign" data-testid="campaign">
      <div>发放任务 {c.id.slice(-8)} · {c.status === "DONE" ? "已完成" : "发放中…"}</div>
      <progress max={100} value={percent} aria-label="发放进度" />
      <div data-testid="campaign-figures">已处理 {handled}/{c.total} · 成功 {c.granted} 张 · 跳过 {c.skipped}
        {skipped.length > 0 && <span class="hint">（{skipped.map(([k, n]) => `${SKIP_REASONS[k] || k} ${n}`).join("，")}）</span>}
      </div>
      <ErrorText error={error} />
    </li>
  );
}

function CampaignForm({ template, onStarted, onClose }) {
  const [text, setText] = useState("");
  const request = useRequest();
  const ids = userIds(text);
  async function submit(event) {
    event.preventDefault();
    const done = await request.run(() => call("POST", "/v1/staff/marketing/campaigns",
      { body: { template_id: template.id, user_ids: ids } }));
    if (done) onStarted(done.data);
  }
  return (
    <form class="campaign-form" onSubmit={submit} aria-label="定向发放">
      <label>定向发放「{template.title}」给这些用户（用户编号，每行一个或逗号分隔）
        <textarea name="user_ids" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} /></label>
      <ErrorText error={request.error} />
      <div class="actions">
        <button type="button" onClick={onClose} disabled={request.busy}>取消</button>
        <button type="submit" class="primary" disabled={request.busy || ids.length === 0}>
          {request.busy ? "提交中…" : `发放给 ${ids.length} 位用户`}</button>
      </div>
    </form>
  );
}

function TemplateRow({ t, onChanged }) {
  const [granting, setGranting] = useState(false);
  const [campaigns, setCampaigns] = useState([]);
  const request = useRequest();
  async function act(action) {
    const done = await request.run(() => call("POST", `/v1/staff/marketing/coupon-templates/${t.id}/${action}`));
    if (done) onChanged(done.data);
  }
  return (
    // A tbody of its own: the row and, below it, its campaigns (no Fragment in a keyed list).
    <tbody data-testid="template-row">
      <tr>
        <td><strong>{t.title}</strong><div class="hint">{t.description}</div>
          <div class="hint"><span class="nowrap">{AUDIENCES[t.audience]}</span> · <span class="nowrap">每人限 {t.per_user_limit} 张</span></div></td>
        <td class="nowrap">{dayTime(t.starts_at)}<br />至 {dayTime(t.ends_at)}</td>
        <td><span class={`badge ${t.status.toLowerCase()}`}>{TEMPLATE_STATUSES[t.status] || t.status}</span></td>
        <td class="num" data-testid="issued">{t.stats.issued}<div class="hint">余 {t.stats.stock_left}</div></td>
        <td class="num">{t.stats.used}</td>
        <td class="num">{t.stats.paid_orders}</td>
        <td class="num">{yuan(t.stats.revenue_fen)}</td>
        <td class="row-actions">
          {t.status === "ACTIVE" && <button type="button" disabled={request.busy} onClick={() => setGranting(true)}>定向发放</button>}
          {TEMPLATE_ACTIONS[t.status].map((action) => (
            <button type="button" key={action} class={action === "end" ? "danger-text" : ""} disabled={request.busy}
              onClick={() => act(action)}>{ACTION_NAMES[action]}</button>
          ))}
          <ErrorText error={request.error} />
        </td>
      </tr>
      {(granting || campaigns.length > 0) && (
        <tr class="sub"><td colSpan={8}>
          {granting && <CampaignForm template={t} onClose={() => setGranting(false)}
            onStarted={(c) => { setGranting(false); setCampaigns([c, ...campaigns]); }} />}
          <ul class="campaigns">{campaigns.map((c) => <CampaignProgress key={c.id} campaign={c} />)}</ul>
        </td></tr>
      )}
    </tbody>
  );
}

export function Coupons() {
  const list = usePagedList("/v1/staff/marketing/coupon-templates?limit=50");
  const { items } = list;
  return (
    <div class="coupons">
      <TemplateForm onCreated={list.add} />
      <section>
        <h2>优惠券 <button type="button" class="small" onClick={list.reload} disabled={list.load.busy}>刷新数据</button></h2>
        <ErrorText error={list.load.error} />
        {items !== null && items.length === 0 && <p class="hint">还没有优惠券</p>}
        {items !== null && items.length > 0 && (
          <div class="table-scroll">
            <table class="list">
              <thead><tr><th>优惠券</th><th>领取时间</th><th>状态</th><th class="num">已领</th><th class="num">已用</th>
                <th class="num">成交订单</th><th class="num">带来收入</th><th /></tr></thead>
              {items.map((t) => <TemplateRow key={t.id} t={t} onChanged={list.replace} />)}
            </table>
          </div>
        )}
        {list.next && <button type="button" onClick={list.more} disabled={list.load.busy}>加载更多</button>}
      </section>
    </div>
  );
}
