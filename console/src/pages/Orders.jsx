import { useEffect, useState } from "preact/hooks";
import { call, query } from "../api.js";
import { ErrorText } from "../ErrorText.jsx";
import {
  EVENT_NAMES, ORDER_STATUSES, actorName, amountChanges, clock, gradeName, matchesSearch, shortNo,
} from "../format.js";
import { yuan } from "../money.js";
import { dayTime, shanghaiDay } from "../times.js";
import { useRequest } from "../useRequest.js";

const PAGE = 100;

// An order's full history: every change, who made it, and the amounts before and after.
function HistoryDialog({ order, onClose }) {
  const [history, setHistory] = useState(null);
  const request = useRequest();
  useEffect(() => {
    request.run(() => call("GET", `/v1/staff/orders/${order.id}/history`)).then((a) => a && setHistory(a.data));
  }, [order.id]);
  const o = history ? history.order : order;
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog wide" role="dialog" aria-label="订单历史">
        <h2>订单 #{shortNo(o)} · {ORDER_STATUSES[o.status] || o.status}</h2>
        <dl class="facts">
          <dt>订单号</dt><dd>{o.id}</dd>
          <dt>商户单号</dt><dd>{o.out_trade_no}</dd>
          <dt>油枪 / 油品</dt><dd>{o.nozzle_no}号枪 · {gradeName(o.grade)} · {yuan(o.price_fen)}/升</dd>
          <dt>油机金额 / 优惠 / 实付</dt><dd>{yuan(o.pump_amount_fen)} / {yuan(o.discount_fen)} / {yuan(o.pay_amount_fen)}</dd>
          <dt>实收 / 已退</dt><dd>{yuan(o.actual_amount_fen)} / {yuan(o.refunded_fen)}{o.refund_pending_fen > 0 && `（退款中 ${yuan(o.refund_pending_fen)}）`}</dd>
        </dl>
        <ErrorText error={request.error} />
        {request.busy && <p class="hint">加载中…</p>}
        {history && (
          <ol class="timeline" data-testid="history">
            {history.items.map((e) => (
              <li key={e.seq} data-testid="history-event">
                <span class="when">{dayTime(e.at)}</span>
                <strong>{EVENT_NAMES[e.type] || e.type}</strong>
                <span class="hint"> · {actorName(e.actor)}</span>
                {e.status_before && e.status_before !== e.status_after &&
                  <span class="hint"> · {ORDER_STATUSES[e.status_before]} → {ORDER_STATUSES[e.status_after]}</span>}
                {amountChanges(e, yuan).map((c) => <div key={c} class="change">{c}</div>)}
                {e.reason && <div class="change">原因：{e.reason}</div>}
              </li>
            ))}
          </ol>
        )}
        <div class="actions"><button type="button" onClick={onClose}>关闭</button></div>
      </div>
    </div>
  );
}

// A station's orders of a day, filtered by status, searched by short number or amount.
export function Orders({ stationId }) {
  const [day, setDay] = useState(() => shanghaiDay());
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [open, setOpen] = useState(null);
  const load = useRequest();

  async function fetchPage(cursor) {
    const answer = await load.run(() => call("GET", "/v1/staff/orders" + query({
      station_id: stationId, date: day, status, limit: PAGE, cursor })));
    if (!answer) return;
    setItems((shown) => (cursor ? (shown || []) : []).concat(answer.data.items));
    setNext(answer.data.next_cursor);
  }
  useEffect(() => { fetchPage(null); }, [stationId, day, status]);

  const found = (items || []).filter((o) => matchesSearch(o, search));
  return (
    <div class="orders">
      <div class="toolbar">
        <label class="inline">日期<input type="date" name="date" value={day} max={shanghaiDay()}
          onInput={(e) => e.currentTarget.value && setDay(e.currentTarget.value)} /></label>
        <label class="inline">状态
          <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">全部</option>
            {Object.entries(ORDER_STATUSES).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
          </select></label>
        <label class="inline">查找<input name="search" value={search} placeholder="单号后几位或金额尾数"
          onInput={(e) => setSearch(e.currentTarget.value)} /></label>
        {items && <span class="hint">共 {found.length} 笔{next ? "（还有更多未加载）" : ""}</span>}
      </div>
      <ErrorText error={load.error} />
      {items && (
        <table class="list">
          <thead><tr><th>时间</th><th>订单</th><th>枪号</th><th>油品</th><th class="num">油机金额</th>
            <th class="num">实付</th><th class="num">实收</th><th class="num">已退</th><th>状态</th><th /></tr></thead>
          <tbody>
            {found.length === 0 && <tr><td colSpan={10} class="hint">没有符合条件的订单</td></tr>}
            {found.map((o) => (
              <tr key={o.id} data-testid="order-row">
                <td>{clock(o.paid_at || o.created_at)}</td><td>#{shortNo(o)}</td><td>{o.nozzle_no}</td>
                <td>{gradeName(o.grade)}</td><td class="num">{yuan(o.pump_amount_fen)}</td>
                <td class="num">{yuan(o.pay_amount_fen)}</td><td class="num">{yuan(o.actual_amount_fen)}</td>
                <td class="num">{yuan(o.refunded_fen + o.refund_pending_fen)}</td>
                <td>{ORDER_STATUSES[o.status] || o.status}</td>
                <td><button type="button" onClick={() => setOpen(o)}>历史</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && <button type="button" onClick={() => fetchPage(next)} disabled={load.busy}>加载更多</button>}
      {open && <HistoryDialog order={open} onClose={() => setOpen(null)} />}
    </div>
  );
}
