import { useEffect, useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText, FieldError } from "../ErrorText.jsx";
import { gradeName } from "../format.js";
import { parseYuan, yuan } from "../money.js";
import { useRequest } from "../useRequest.js";

const asText = (fen) => (fen / 100).toFixed(2);

// One grade's row, saved on its own so an error lands next to the price that caused it.
function GradeRow({ stationId, grade }) {
  const [pump, setPump] = useState(asText(grade.pump_price_fen));
  const [members, setMembers] = useState(
    Object.fromEntries(Object.entries(grade.member_prices).map(([level, fen]) => [level, asText(fen)])));
  const [saved, setSaved] = useState(false);
  const request = useRequest();
  const pumpFen = parseYuan(pump);
  const memberFen = Object.fromEntries(Object.entries(members).map(([l, t]) => [l, parseYuan(t)]));
  const invalid = pumpFen === null || Object.values(memberFen).some((f) => f === null);

  async function save() {
    setSaved(false);
    const done = await request.run(() => call("PUT", `/v1/staff/stations/${stationId}/prices`, {
      body: { grades: [{ grade: grade.grade, guide_price_fen: grade.guide_price_fen,
        pump_price_fen: pumpFen, member_prices: memberFen }] },
    }));
    if (done) setSaved(true);
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
          <label key={level} class="member">{level}
            <input inputmode="decimal" value={text}
              onInput={(e) => setMembers({ ...members, [level]: e.currentTarget.value })} />
          </label>
        ))}
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

export function Prices({ stationId }) {
  const [prices, setPrices] = useState(null);
  const load = useRequest();

  useEffect(() => {
    setPrices(null);
    load.run(() => call("GET", `/v1/staff/stations/${stationId}/prices`))
      .then((answer) => answer && setPrices(answer.data));
  }, [stationId]);

  return (
    <section class="prices">
      <h2>油价 <span class="hint">挂牌价不得高于指导价；会员价须低于挂牌价；保存后即时生效</span></h2>
      <ErrorText error={load.error} />
      {prices && (
        <table>
          <thead><tr><th>油品</th><th>指导价（元/升）</th><th>挂牌价（元/升）</th><th>会员价（元/升）</th><th /></tr></thead>
          <tbody>
            {prices.grades.map((grade) => (
              <GradeRow key={grade.grade} stationId={stationId} grade={grade} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
