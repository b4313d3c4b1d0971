import { useEffect, useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText, FieldError } from "../ErrorText.jsx";
import { MEMBER_LEVELS, gradeName, levelName } from "../format.js";
import { parseYuan, yuan } from "../money.js";
import { changedBy } from "../roles.js";
import { dayTime } from "../times.js";
import { useRequest } from "../useRequest.js";

const asText = (fen) => (fen / 100).toFixed(2);

// One grade's row, saved on its own so an error lands next to the price that caused it.
function GradeRow({ stationId, grade, onSaved }) {
  const [pump, setPump] = useState(asText(grade.pump_price_fen));
  const [members, setMembers] = useState(
    Object.fromEntries(Object.entries(grade.member_prices).map(([level, fen]) => [level, asText(fen)])));
  const [saved, setSaved] = useState(false);
  const request = useRequest();
  const pumpFen = parseYuan(pump);
  const memberFen = Object.fromEntries(Object.entries(members).map(([l, t]) => [l, parseYuan(t)]));
  const invalid = pumpFen === null || Object.values(memberFen).some((f) => f === null);
  const missing = Object.keys(MEMBER_LEVELS).filter((level) => !(level in members));

  async function save() {
    setSaved(false);
    const done = await request.run(() => call("PUT", `/v1/staff/stations/${stationId}/prices`, {
      body: { grades: [{ grade: grade.grade, guide_price_fen: grade.guide_price_fen,
        pump_price_fen: pumpFen, member_prices: memberFen }] },
    }));
    if (done) {
      setSaved(true);
      onSaved();
    }
  }

  return (
    <tr data-testid={`price-${grade.grade}`}>
      <th scope="row">{gradeName(grade.grade)}</th>
      <td class="guide">{yuan(grade.guide_price_fen)}</td>
      <td>
        <input name="pump" inputmode="decimal" aria-label={`${gradeName(grade.grade)}挂牌价`}
          value={pump} onInput={(e) => setPump(e.currentTarget.value)} />
        <FieldError error={request.error} field="pump_price_fen" />
      </td>
      <td>
        {Object.keys(members).length === 0 && <span class="hint">无</span>}
        {Object.entries(members).map(([level, text]) => (
          <label key={level} class="member">{levelName(level)}
            <input inputmode="decimal" value={text} aria-label={`${gradeName(grade.grade)}${levelName(level)}价`}
              onInput={(e) => setMembers({ ...members, [level]: e.currentTarget.value })} />
          </label>
        ))}
        {missing.length > 0 && (
          <select class="add-level" aria-label={`${gradeName(grade.grade)}添加会员价`} value=""
            onChange={(e) => e.currentTarget.value && setMembers({ ...members, [e.currentTarget.value]: "" })}>
            <option value="">＋ 会员价</option>
            {missing.map((level) => <option key={level} value={level}>{levelName(level)}</option>)}
          </select>
        )}
        <FieldError error={request.error} field="member_prices" />
      </td>
      <td>
        <button type="button" class="primary" onClick={save} disabled={request.busy || invalid}>
          {request.busy ? "保存中…" : "保存"}</button>
        {saved && <span class="ok" role="status">已生效</span>}
        {request.error && !["pump_price_fen", "member_prices"].includes(request.error.field) &&
          <ErrorText error={request.error} />}
      </td>
    </tr>
  );
}

const priceText = (fen) => (fen === undefined ? "—" : yuan(fen));

// What one change did to one grade: the prices that moved, old -> new.
function gradeChanges(g) {
  const out = [];
  if (g.old_guide_price_fen !== g.new_guide_price_fen) out.push(`指导价 ${yuan(g.old_guide_price_fen)} → ${yuan(g.new_guide_price_fen)}`);
  if (g.old_pump_price_fen !== g.new_pump_price_fen) out.push(`挂牌价 ${yuan(g.old_pump_price_fen)} → ${yuan(g.new_pump_price_fen)}`);
  for (const level of new Set([...Object.keys(g.old_member_prices), ...Object.keys(g.new_member_prices)])) {
    const before = g.old_member_prices[level];
    const after = g.new_member_prices[level];
    if (before !== after) out.push(`${levelName(level)}价 ${priceText(before)} → ${priceText(after)}`);
  }
  return out.length ? out : ["价格未变"];
}

function PriceHistory({ stationId, version }) {
  const [items, setItems] = useState(null);
  const load = useRequest();
  useEffect(() => {
    load.run(() => call("GET", `/v1/staff/stations/${stationId}/price-history?limit=20`))
      .then((answer) => answer && setItems(answer.data.items));
  }, [stationId, version]);
  return (
    <section>
      <h2>调价记录 <span class="hint">最近 20 次</span></h2>
      <ErrorText error={load.error} />
      {items && items.length === 0 && <p class="hint">还没有调价记录</p>}
      {items && items.length > 0 && (
        <table class="list">
          <thead><tr><th>时间</th><th>操作人</th><th>油品</th><th>变动</th></tr></thead>
          <tbody>
            {items.flatMap((c) => c.grades.map((g, i) => (
              <tr key={`${c.version}-${g.grade}`} data-testid="price-change">
                <td class="nowrap">{i === 0 ? dayTime(c.changed_at) : ""}</td>
                <td>{i === 0 ? changedBy(c) : ""}</td>
                <td>{gradeName(g.grade)}</td>
                <td>{gradeChanges(g).join("；")}</td>
              </tr>
            )))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Prices({ stationId }) {
  const [prices, setPrices] = useState(null);
  const [saves, setSaves] = useState(0);
  const load = useRequest();

  useEffect(() => {
    setPrices(null);
    load.run(() => call("GET", `/v1/staff/stations/${stationId}/prices`))
      .then((answer) => answer && setPrices(answer.data));
  }, [stationId]);

  return (
    <div>
      <section class="prices">
        <h2>油价 <span class="hint">挂牌价不得高于指导价；会员价须低于挂牌价；保存后即时生效</span></h2>
        <ErrorText error={load.error} />
        {prices && (
          <table>
            <thead><tr><th>油品</th><th>指导价（元/升）</th><th>挂牌价（元/升）</th><th>会员价（元/升）</th><th /></tr></thead>
            <tbody>
              {prices.grades.map((grade) => (
                <GradeRow key={grade.grade} stationId={stationId} grade={grade} onSaved={() => setSaves((n) => n + 1)} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <PriceHistory stationId={stationId} version={saves} />
    </div>
  );
}
