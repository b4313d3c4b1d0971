import { useEffect, useRef, useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText } from "../ErrorText.jsx";
import { clock, gradeName, matchesSearch, refundState, shortNo, splitBoard } from "../format.js";
import { yuan } from "../money.js";
import { startPoll } from "../poll.js";
import { mayRefund } from "../roles.js";
import { ConfirmDialog } from "./ConfirmDialog.jsx";
import { RefundDialog } from "./RefundDialog.jsx";
import { RefundRequests } from "./RefundRequests.jsx";

const POLL_MS = 3000;
// Today's orders in one page: the waiting ones are the newest, so they are always on it.
const PAGE = 100;

export function Board({ session, stationId }) {
  const [orders, setOrders] = useState(null);
  const [pollError, setPollError] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [refunding, setRefunding] = useState(null);
  const [requests, setRequests] = useState([]);
  const [search, setSearch] = useState("");
  const poll = useRef(null);

  useEffect(() => {
    setOrders(null);
    setRequests([]);
    const station = encodeURIComponent(stationId);
    // Open refund requests may be of an earlier day, so they are asked for on their own, each
    // time today's page changed (a new request changes its order, and so the page).
    const openRequests = () => call("GET", `/v1/staff/refund-requests?station_id=${station}&limit=50`)
      .then((answer) => setRequests(answer.data.items), setPollError);
    poll.current = startPoll((etag) => call("GET", `/v1/staff/orders?station_id=${station}&limit=${PAGE}`, { etag }),
      (page) => {
        setOrders(page.items);
        openRequests();
      }, setPollError, POLL_MS);
    return () => poll.current.stop();
  }, [stationId]);

  function changed() {
    setConfirming(null);
    setRefunding(null);
    poll.current.now();
  }

  const { waiting, confirmed } = splitBoard((orders || []).filter((o) => matchesSearch(o, search)));
  const refunds = mayRefund(session.staff.role);
  const requested = new Set(requests.map((o) => o.id));
  return (
    <div class="board">
      <ErrorText error={pollError} testId="board-error" />
      <RefundRequests orders={requests} mayAnswer={refunds} onAnswered={(order) => {
        setRequests((open) => open.filter((o) => o.id !== order.id));
        changed();
      }} />
      <label class="inline board-search">查找订单
        <input name="search" type="search" value={search} placeholder="单号后几位或金额尾数"
          onInput={(e) => setSearch(e.currentTarget.value)} /></label>
      <section>
        <h2>待确认 <span class="count">{waiting.length}</span></h2>
        {orders === null && <p class="hint">加载中…</p>}
        {orders !== null && waiting.length === 0 && <p class="hint">{search ? "没有符合查找的待确认订单" : "暂无待确认的订单"}</p>}
        <ul class="tickets">
          {waiting.map((order) => (
            <li key={order.id}>
              <button type="button" class={`ticket ${requested.has(order.id) ? "requested" : ""}`} data-testid="ticket"
                disabled={requested.has(order.id)} onClick={() => setConfirming(order)}>
                <span class="nozzle">{order.nozzle_no}号枪</span>
                <span class="grade">{gradeName(order.grade)}</span>
                <span class="paid">实付 {yuan(order.pay_amount_fen)}</span>
                <span class="pump">油机 {yuan(order.pump_amount_fen)}</span>
                <span class="time">{clock(order.paid_at)}</span>
                <span class="no">#{shortNo(order)}</span>
                {requested.has(order.id) && <span class="note">司机申请退款，待站长处理</span>}
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>今日已确认</h2>
        <table class="confirmed">
          <thead><tr><th>时间</th><th>订单</th><th>枪号</th><th>油品</th><th>油机金额</th>
            <th>实收</th><th>已退</th><th>退款状态</th>{refunds && <th />}</tr></thead>
          <tbody>
            {orders !== null && confirmed.length === 0 &&
              <tr><td colSpan={9} class="hint">今日暂无已确认的订单</td></tr>}
            {confirmed.map((order) => (
              <tr key={order.id} data-testid="confirmed-row">
                <td>{clock(order.fuelled_at)}</td><td>#{shortNo(order)}</td>
                <td>{order.nozzle_no}</td><td>{gradeName(order.grade)}</td>
                <td>{yuan(order.actual_pump_amount_fen)}</td><td>{yuan(order.actual_amount_fen)}</td>
                <td>{yuan(order.refunded_fen + order.refund_pending_fen)}</td>
                <td>{refundState(order)}</td>
                {refunds && <td><button type="button" onClick={() => setRefunding(order)}
                  disabled={order.status === "REFUNDED"}>退款</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {confirming && <ConfirmDialog order={confirming} onDone={changed} onClose={() => setConfirming(null)} />}
      {refunding && <RefundDialog order={refunding} onDone={changed} onClose={() => setRefunding(null)} />}
    </div>
  );
}
