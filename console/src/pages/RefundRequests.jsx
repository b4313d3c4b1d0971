import { useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText, FieldError } from "../ErrorText.jsx";
import { clock, gradeName, shortNo } from "../format.js";
import { yuan } from "../money.js";
import { useRequest } from "../useRequest.js";

// One driver's request to get a paid order back (the fill never happened): a manager approves
// (a full refund) or declines with a reason the driver reads; an attendant only sees it.
function RequestCard({ order, mayAnswer, onAnswered }) {
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState("");
  const request = useRequest();

  async function answer(action, body) {
    const done = await request.run(() => call("POST", `/v1/staff/orders/${order.id}/refund-request/${action}`,
      body ? { body } : {}));
    if (done) onAnswered(done.data);
  }
  function decline(event) {
    event.preventDefault();
    answer("decline", { reason: reason.trim() });
  }

  return (
    <li class="request" data-testid="refund-request">
      <div class="request-facts">
        <strong>#{shortNo(order)}</strong> · {order.nozzle_no}号枪 · {gradeName(order.grade)} · 实付 {yuan(order.pay_amount_fen)}
        <span class="hint"> · 支付 {clock(order.paid_at)} · 申请 {clock(order.refund_request.requested_at)}</span>
        <p class="driver-reason">司机说明：{order.refund_request.reason}</p>
      </div>
      {!mayAnswer && <p class="hint">等待站长处理</p>}
      {mayAnswer && !declining && (
        <div class="row-actions">
          <button type="button" class="primary" disabled={request.busy}
            onClick={() => answer("approve")}>{request.busy ? "提交中…" : `同意并全额退款 ${yuan(order.pay_amount_fen)}`}</button>
          <button type="button" disabled={request.busy} onClick={() => setDeclining(true)}>拒绝</button>
        </div>
      )}
      {mayAnswer && declining && (
        <form class="decline" onSubmit={decline}>
          <label>拒绝原因（司机可见）
            <input name="decline-reason" maxLength={80} value={reason} placeholder="例如：已在 3 号枪加油完成"
              onInput={(e) => setReason(e.currentTarget.value)} />
            <FieldError error={request.error} field="reason" />
          </label>
          <button type="button" disabled={request.busy} onClick={() => setDeclining(false)}>取消</button>
          <button type="submit" class="primary danger" disabled={request.busy || !reason.trim()}>
            {request.busy ? "提交中…" : "确认拒绝"}</button>
        </form>
      )}
      {request.error && request.error.field !== "reason" && <ErrorText error={request.error} />}
    </li>
  );
}

export function RefundRequests({ orders, mayAnswer, onAnswered }) {
  if (!orders || orders.length === 0) return null;
  return (
    <section class="requests">
      <h2>司机退款申请 <span class="count">{orders.length}</span>
        <span class="hint"> 未及时处理的申请会在超时后自动退款</span></h2>
      <ul>{orders.map((order) => (
        <RequestCard key={order.id} order={order} mayAnswer={mayAnswer} onAnswered={onAnswered} />
      ))}</ul>
    </section>
  );
}
