import { useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText } from "../ErrorText.jsx";
import { gradeName, shortNo } from "../format.js";
import { confirmRefund, parseYuan, yuan } from "../money.js";
import { useRequest } from "../useRequest.js";
import { Pad } from "./Pad.jsx";

// The attendant types what the pump shows; a shorter fill shows its refund before it is sent.
export function ConfirmDialog({ order, onDone, onClose }) {
  const [text, setText] = useState(String(order.pump_amount_fen / 100));
  const request = useRequest();
  const pumpFen = parseYuan(text);
  const refund = pumpFen === null ? null : confirmRefund(order, pumpFen);
  const tooMuch = pumpFen !== null && pumpFen > order.pump_amount_fen;

  async function confirm() {
    const done = await request.run(() => call("POST", `/v1/staff/orders/${order.id}/confirm`,
      { body: { actual_amount_fen: pumpFen } }));
    if (done) onDone(done.data);
  }

  return (
    <div class="backdrop">
      <div class="dialog confirm" role="dialog" aria-label="确认加油">
        <h2>确认加油 · {order.nozzle_no}号枪 · {gradeName(order.grade)} · #{shortNo(order)}</h2>
        <div class="confirm-body">
          <div>
            <dl class="facts">
              <dt>预付油机金额</dt><dd>{yuan(order.pump_amount_fen)}</dd>
              <dt>实付</dt><dd>{yuan(order.pay_amount_fen)}</dd>
            </dl>
            <label class="amount-label">油机显示金额（元）
              <output class="amount" data-testid="pump-amount">{text || "0"}</output>
            </label>
            {tooMuch && <p class="error" role="alert">不能超过预付油机金额 {yuan(order.pump_amount_fen)}</p>}
            {refund > 0 && (
              <p class="refund-preview" data-testid="refund-preview">
                少加 {yuan(order.pump_amount_fen - pumpFen)}，确认后将退款 <strong>{yuan(refund)}</strong>
              </p>
            )}
            {refund === 0 && <p class="hint">加满预付金额，无退款</p>}
            <ErrorText error={request.error} testId="confirm-error" />
          </div>
          <Pad text={text} onChange={setText} />
        </div>
        <div class="actions">
          <button type="button" onClick={onClose} disabled={request.busy}>取消</button>
          <button type="button" class="primary" onClick={confirm}
            disabled={request.busy || refund === null}>
            {request.busy ? "提交中…" : refund > 0 ? `确认并退款 ${yuan(refund)}` : "确认加油"}
          </button>
        </div>
      </div>
    </div>
  );
}
