import { useEffect, useState } from "preact/hooks";
import { call, query } from "../api.js";
import { ErrorText, FieldError } from "../ErrorText.jsx";
import { gradeName } from "../format.js";
import { yuan } from "../money.js";
import {
  ACTIONS, KINDS, OUTCOMES, RUN_STATUSES, csvName, label, needsPerson, seenText,
} from "../reconcile.js";
import { dayTime, shanghaiDay } from "../times.js";
import { useRequest } from "../useRequest.js";

const litres = (ml) => `${(ml / 1000).toFixed(2)} 升`;
const shortOf = (id) => (id ? `#${id.slice(-6).toUpperCase()}` : "—");

function Settlement({ s }) {
  return (
    <div class="card settlement" data-testid="settlement">
      <h3>油站 {s.station_id} 结算</h3>
      <dl class="figures">
        <div><dt>订单</dt><dd>{s.orders} 笔</dd></div>
        <div><dt>实收</dt><dd>{yuan(s.paid_fen)}</dd></div>
        <div><dt>优惠</dt><dd>{yuan(s.discount_fen)}</dd></div>
        <div><dt>退款</dt><dd>{s.refunds} 笔 {yuan(s.refund_fen)}</dd></div>
        <div><dt>手续费</dt><dd>{yuan(s.fee_fen)}</dd></div>
        <div class="net"><dt>应结净额</dt><dd data-testid="net">{yuan(s.net_fen)}</dd></div>
      </dl>
      <p class="hint">账单已核对 {s.matched_count} 笔，共 {yuan(s.matched_amount_fen)}</p>
      <table class="list">
        <thead><tr><th>油品</th><th class="num">订单</th><th class="num">升数</th><th class="num">油机金额</th>
          <th class="num">优惠</th><th class="num">实收</th></tr></thead>
        <tbody>
          {s.grades.map((g) => (
            <tr key={g.grade}><td>{gradeName(g.grade)}</td><td class="num">{g.orders}</td>
              <td class="num">{litres(g.liters_ml)}</td><td class="num">{yuan(g.gross_fen)}</td>
              <td class="num">{yuan(g.discount_fen)}</td><td class="num">{yuan(g.paid_fen)}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Differences({ items }) {
  if (items.length === 0) return <p class="ok-box" data-testid="no-differences">账单与订单完全一致，没有差异</p>;
  const sorted = [...items.filter(needsPerson), ...items.filter((d) => !needsPerson(d))];
  return (
    <table class="list differences">
      <thead><tr><th>差异</th><th>订单</th><th>我方记录</th><th>微信账单</th><th>处理</th><th>结果</th></tr></thead>
      <tbody>
        {sorted.map((d) => (
          <tr key={`${d.kind}-${d.out_trade_no}-${d.out_refund_no || ""}`} data-testid="difference"
            class={needsPerson(d) ? "attention" : ""}>
            <td>{label(KINDS, d.kind)}</td>
            <td title={d.out_trade_no}>{shortOf(d.order_id)}</td>
            <td>{seenText(d.expected, yuan)}</td>
            <td>{seenText(d.actual, yuan)}</td>
            <td>{label(ACTIONS, d.action)}</td>
            <td>{label(OUTCOMES, d.outcome)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// Saves text as a file the browser downloads: the CSV needs the bearer token, so no plain link.
function saveFile(name, text) {
  // A byte-order mark so that Excel opens the UTF-8 file with its Chinese intact.
  const url = URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function Reconciliation({ stationId }) {
  const [day, setDay] = useState(() => shanghaiDay(new Date(), -1));
  const [report, setReport] = useState(null);
  const load = useRequest();
  const csv = useRequest();
  const path = (format) => `/v1/staff/reconciliation/${day}` + query({ station_id: stationId, format });

  async function show(event) {
    if (event) event.preventDefault();
    setReport(null);
    const answer = await load.run(() => call("GET", path(null)));
    if (answer) setReport(answer.data);
  }
  async function download() {
    const answer = await csv.run(() => call("GET", path("csv"), { text: true }));
    if (answer) saveFile(csvName(report), answer.data);
  }
  useEffect(() => { show(); }, [stationId]);

  return (
    <div class="reconciliation">
      <form class="toolbar" onSubmit={show}>
        <label class="inline">对账日期
          <input type="date" name="date" value={day} max={shanghaiDay()}
            onInput={(e) => setDay(e.currentTarget.value)} /></label>
        <button type="submit" class="primary" disabled={load.busy || !day}>{load.busy ? "查询中…" : "查询"}</button>
        {report && report.status === "DONE" && (
          <button type="button" onClick={download} disabled={csv.busy}>
            {csv.busy ? "下载中…" : "下载结算单 CSV"}</button>
        )}
        <FieldError error={load.error} field="date" />
      </form>
      {load.error && load.error.field !== "date" && <ErrorText error={load.error} testId="reconciliation-error" />}
      <ErrorText error={csv.error} />
      {report && (
        <>
          <p class={`run ${report.status}`} data-testid="run-status">
            {report.bill_date} · {label(RUN_STATUSES, report.status)}
            {report.updated_at && <span class="hint"> · 更新于 {dayTime(report.updated_at)}</span>}
          </p>
          {report.summary && (
            <dl class="figures summary">
              <div><dt>已核对</dt><dd>{report.summary.matched_count} 笔</dd></div>
              <div><dt>核对金额</dt><dd>{yuan(report.summary.matched_amount_fen)}</dd></div>
              <div><dt>差异</dt><dd data-testid="difference-count">{report.summary.differences} 项</dd></div>
              <div><dt>已自动修复</dt><dd>{report.summary.healed} 项</dd></div>
            </dl>
          )}
          <section>
            <h2>差异</h2>
            <Differences items={report.differences} />
          </section>
          <section>
            <h2>结算</h2>
            {report.settlements.length === 0 && <p class="hint">该日没有结算数据</p>}
            {report.settlements.map((s) => <Settlement key={s.station_id} s={s} />)}
          </section>
        </>
      )}
    </div>
  );
}
