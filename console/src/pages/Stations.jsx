import { call } from "../api.js";
import { ErrorText } from "../ErrorText.jsx";
import { gradeName } from "../format.js";
import { yuan } from "../money.js";
import { STOCK_LEVELS } from "../station.js";
import { usePagedList } from "../useList.js";

// hq's list of the chain: each station's hours, prices and stock; a click acts for it.
export function Stations({ onOpen }) {
  const list = usePagedList("/v1/staff/stations?limit=100");
  const items = list.items && [...list.items].sort((a, b) => a.id.localeCompare(b.id));
  return (
    <section class="stations">
      <h2>全部油站 {items && <span class="hint">已加载 {items.length} 座</span>}</h2>
      <ErrorText error={list.load.error} />
      {items && (
        <table class="list">
          <thead><tr><th>油站</th><th>区县</th><th>营业时间</th><th>挂牌价 / 库存</th><th /></tr></thead>
          <tbody>{items.map((s) => (
            <tr key={s.id} data-testid="station-row">
              <td><strong>{s.name}</strong><div class="hint">{s.id} · {s.brand} · {s.nozzles} 把油枪</div></td>
              <td>{s.district}<div class="hint">{s.address}</div></td>
              <td class="nowrap">{s.open_time}–{s.close_time}<div>{s.open_now
                ? <span class="badge live">营业中</span> : <span class="badge">已打烊</span>}</div></td>
              <td>{s.grades.map((g) => (
                <div key={g.grade} class="nowrap">{gradeName(g.grade)} {yuan(g.pump_price_fen)}
                  <span class={`badge stock-${g.stock}`}>{STOCK_LEVELS[g.stock]}</span></div>
              ))}</td>
              <td class="row-actions">
                <button type="button" onClick={() => onOpen(s.id, "board")}>加油确认</button>
                <button type="button" onClick={() => onOpen(s.id, "reconciliation")}>对账</button>
              </td>
            </tr>
          ))}</tbody>
        </table>
      )}
      {list.next && <button type="button" onClick={list.more} disabled={list.load.busy}>加载更多</button>}
    </section>
  );
}
