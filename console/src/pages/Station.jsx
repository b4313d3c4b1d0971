import { useEffect, useState } from "preact/hooks";
import { call, query } from "../api.js";
import { ErrorText, FieldError, OtherError } from "../ErrorText.jsx";
import { GRADE_NAMES, gradeName } from "../format.js";
import { FIGURE_NAMES, PROMOTION_KINDS, STOCK_LEVELS, litresText, parseLitres, promotionBody } from "../station.js";
import { dayTime, localInput } from "../times.js";
import { useCreateForm } from "../useCreateForm.jsx";
import { useRequest } from "../useRequest.js";

// Tank stock per grade: what was last reported, and a new reading typed from the tank gauge.
function Stock({ stationId }) {
  const [stock, setStock] = useState(null);
  const [typed, setTyped] = useState({});
  const load = useRequest();
  const save = useRequest();
  useEffect(() => {
    load.run(() => call("GET", `/v1/staff/stations/${stationId}/inventory`)).then((a) => a && setStock(a.data));
  }, [stationId]);
  const entered = Object.entries(typed).filter(([, t]) => t.trim() !== "");
  const wrong = entered.some(([, t]) => parseLitres(t) === null);

  async function submit(event) {
    event.preventDefault();
    const done = await save.run(() => call("PUT", `/v1/staff/stations/${stationId}/inventory`, {
      body: { grades: entered.map(([grade, t]) => ({ grade, liters_ml: parseLitres(t) })) } }));
    if (done) {
      setStock(done.data);
      setTyped({});
    }
  }
  return (
    <form class="card" onSubmit={submit} aria-label="库存">
      <h2>油罐库存</h2>
      <ErrorText error={load.error} />
      {stock && (
        <table class="list">
          <thead><tr><th>油品</th><th class="num">当前库存</th><th>状态</th><th>新读数（升）</th></tr></thead>
          <tbody>
            {stock.grades.map((g) => (
              <tr key={g.grade} data-testid={`stock-${g.grade}`}>
                <td>{gradeName(g.grade)}</td>
                <td class="num">{litresText(g.liters_ml)}</td>
                <td><span class={`badge stock-${g.stock}`}>{STOCK_LEVELS[g.stock] || g.stock}</span></td>
                <td><input inputmode="decimal" aria-label={`${gradeName(g.grade)}新读数`} value={typed[g.grade] || ""}
                  onInput={(e) => setTyped({ ...typed, [g.grade]: e.currentTarget.value })} />
                  {typed[g.grade] && parseLitres(typed[g.grade]) === null && <span class="field-error">请输入升数（最多三位小数）</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FieldError error={save.error} field="liters_ml" />
      {save.error && save.error.field !== "liters_ml" && <ErrorText error={save.error} />}
      <div class="actions">
        <button type="submit" class="primary" disabled={save.busy || wrong || entered.length === 0}>
          {save.busy ? "保存中…" : "更新库存"}</button>
      </div>
    </form>
  );
}

const PROMO_FIELDS = ["title", "kind", "starts_at", "ends_at", "grades", "per_litre_off_fen", "threshold_fen", "amount_off_fen"];

function freshPromotion() {
  const now = new Date();
  return { title: "", kind: "per_litre_off", grades: [], per_litre_off_fen: "", threshold_fen: "", amount_off_fen: "",
    startsAt: localInput(now), endsAt: localInput(new Date(now.getTime() + 7 * 86400000)) };
}

function PromotionRow({ p, onEnded }) {
  const request = useRequest();
  async function end() {
    const done = await request.run(() => call("DELETE", `/v1/staff/promotions/${p.id}`));
    if (done) onEnded(p.id);
  }
  return (
    <tr data-testid="promotion-row">
      <td><strong>{p.title}</strong><div class="hint">{p.description}</div></td>
      <td>{p.grades ? p.grades.map(gradeName).join("、") : "全部油品"}</td>
      <td class="nowrap">{dayTime(p.starts_at)}<br />至 {dayTime(p.ends_at)}</td>
      <td><span class={`badge ${p.active ? "live" : "scheduled"}`}>{p.active ? "进行中" : "未开始"}</span></td>
      <td class="row-actions">
        {p.station_ids ? <button type="button" class="danger-text" disabled={request.busy} onClick={end}>结束</button>
          : <span class="hint">总部全连锁</span>}
        <ErrorText error={request.error} />
      </td>
    </tr>
  );
}

function Promotions({ stationId }) {
  const [items, setItems] = useState(null);
  const load = useRequest();
  const { form, set, text, at, toggle, submit, request: create } = useCreateForm({
    fresh: freshPromotion, toBody: (f) => promotionBody(f, stationId), path: "/v1/staff/promotions",
    onCreated: (made) => setItems((shown) => [made, ...(shown || []).filter((p) => p.id !== made.id)]) });

  useEffect(() => {
    load.run(() => call("GET", "/v1/staff/promotions" + query({ station_id: stationId, limit: 100 })))
      .then((a) => a && setItems(a.data.items));
  }, [stationId]);

  return (
    <section class="card">
      <h2>促销活动</h2>
      <form onSubmit={submit} aria-label="新建促销">
        <div class="grid2">
          <label>促销名称<input name="title" maxLength={64} {...text("title")} />{at("title")}</label>
          <label>类型
            <select name="kind" value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value })}>
              {Object.entries(PROMOTION_KINDS).map(([k, v]) => <option key={k} value={k}>{v.name}</option>)}
            </select>{at("kind")}</label>
          {PROMOTION_KINDS[form.kind].figures.map((name) => (
            <label key={name}>{FIGURE_NAMES[name]}<input name={name} inputmode="decimal" {...text(name)} />{at(name)}</label>
          ))}
          <label>开始时间（北京时间）<input type="datetime-local" name="starts_at" {...text("startsAt")} />{at("starts_at")}</label>
          <label>结束时间（北京时间）<input type="datetime-local" name="ends_at" {...text("endsAt")} />{at("ends_at")}</label>
        </div>
        <fieldset>
          <legend>适用油品（不勾选为本站全部油品）</legend>
          {Object.entries(GRADE_NAMES).map(([g, name]) => (
            <label key={g} class="check"><input type="checkbox" checked={form.grades.includes(g)} onChange={() => toggle("grades", g)} />{name}</label>
          ))}
          {at("grades")}
        </fieldset>
        <OtherError error={create.error} fields={PROMO_FIELDS} />
        <div class="actions">
          <button type="submit" class="primary" disabled={create.busy}>{create.busy ? "创建中…" : "创建促销"}</button>
        </div>
      </form>
      <ErrorText error={load.error} />
      {items && items.length === 0 && <p class="hint">本站暂无未结束的促销</p>}
      {items && items.length > 0 && (
        <table class="list">
          <thead><tr><th>促销</th><th>油品</th><th>时间</th><th>状态</th><th /></tr></thead>
          <tbody>{items.map((p) => (
            <PromotionRow key={p.id} p={p} onEnded={(id) => setItems(items.filter((x) => x.id !== id))} />
          ))}</tbody>
        </table>
      )}
    </section>
  );
}

export function Station({ stationId }) {
  return (
    <div class="station-page">
      <Stock stationId={stationId} />
      <Promotions stationId={stationId} />
    </div>
  );
}
