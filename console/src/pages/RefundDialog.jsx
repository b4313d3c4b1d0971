import { useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText, FieldError } from "../ErrorText.jsx";
import { shortNo } from "../format.js";
import { parseYuan, refundable, yuan } from "../money.js";
import { useRequest } from "../useRequest.js";

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
}

// A manager's refund. The Idempotency-Key is made once when the dialog opens and sent with every
// attempt, so a double click or a retry after a lost answer refunds once.
export function RefundDialog({ order, onDone, onClose }) {
  const most = refundable(order);
  const [key] = useState(newKey);
  const [amount, setAmount] = useState((most / 100).toFixed(2));
  const [reason, setReason] = useState("");
  const request = useRequest();
  const amountFen = parseYuan(amount);
  const amountWrong = amountFen === null || amountFen < 1 || amountFen > most;

  async function submit(event) {
    event.preventDefault();
    const done = await request.run(() => call("POST", `/v1/staff/orders/${order.id}/refund`, {
      body: { amount_fen: amountFen, reason: reason.trim() },
      headers: { "Idempotency-Key": key },
    }));
    if (done) onDone(done.data.order);
  }

  return (
    <div class="backdrop">
      <form class="dialog" role="dialog" aria-label="退款" onSubmit={submit}>
        <h2>退款 · 订单 #{shortNo(order)}</h2>
        <p class="hint">可退 {yuan(most)}（实付 {yuan(order.pay_amount_fen)}，已退 {yuan(order.refunded_fen)}）</p>
        <label>退款金额（元）
          <input name="amount" inputmode="decimal" value={amount}
            onInput={(e) => setAmount(e.currentTarget.value)} />
          {amountWrong && <span class="field-error">请输入 0.01 至 {yuan(most)} 之间的金额</span>}
          <FieldError error={request.error} field="amount_fen" />
        </label>
        <label>退款原因
          <input name="reason" maxLength={80} value={reason} placeholder="例如：油机故障少加"
            onInput={(e) => setReason(e.currentTarget.value)} />
          <FieldError error={request.error} field="reason" />
        </label>
        {request.error && !request.error.field && <ErrorText error={request.error} testId="refund-error" />}
        <div class="actions">
          <button type="button" onClick={onClose} disabled={request.busy}>取消</button>
          <button type="submit" class="primary danger"
            disabled={request.busy || amountWrong || !reason.trim()}>
            {request.busy ? "提交中…" : `退款 ${amountWrong ? "" : yuan(amountFen)}`}
          </button>
        </div>
      </form>
    </div>
  );
}
