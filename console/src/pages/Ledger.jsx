import { useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText, FieldError } from "../ErrorText.jsx";
import { yuan } from "../money.js";
import { useRequest } from "../useRequest.js";

const CHAINS = { balance: { name: "余额账本", amount: yuan }, points: { name: "积分账本", amount: (n) => `${n} 分` } };

function Chain({ kind, chain }) {
  const { name, amount } = CHAINS[kind];
  return (
    <div class={`card chain ${chain.ok ? "good" : "broken"}`} data-testid={`chain-${kind}`}>
      <h3>{name}：{chain.ok ? "校验通过" : "校验未通过"}</h3>
      <dl class="figures">
        <div><dt>流水条数</dt><dd>{chain.entries}</dd></div>
        <div><dt>流水累计</dt><dd>{amount(chain.balance)}</dd></div>
        <div><dt>账户记录</dt><dd>{amount(chain.account_balance)}</dd></div>
      </dl>
      {!chain.ok && (
        <p class="error">从第 {chain.first_broken_seq} 条流水起无法核对，请交技术人员处理。
          {chain.reason && <><br /><code>{chain.reason}</code></>}</p>
      )}
    </div>
  );
}

// hq's check of a driver's wallet: both hash chains recomputed and held against the account.
export function Ledger() {
  const [userId, setUserId] = useState("");
  const [report, setReport] = useState(null);
  const request = useRequest();
  async function verify(event) {
    event.preventDefault();
    setReport(null);
    const answer = await request.run(() => call("GET", `/v1/staff/ledger/${encodeURIComponent(userId.trim())}/verify`));
    if (answer) setReport(answer.data);
  }
  return (
    <div class="ledger">
      <form class="toolbar" onSubmit={verify}>
        <label class="inline">用户编号
          <input name="user_id" value={userId} placeholder="u_…" onInput={(e) => setUserId(e.currentTarget.value)} /></label>
        <button type="submit" class="primary" disabled={request.busy || !userId.trim()}>
          {request.busy ? "核对中…" : "核对钱包账本"}</button>
        <FieldError error={request.error} field="user_id" />
      </form>
      {request.error && request.error.field !== "user_id" && <ErrorText error={request.error} />}
      {report && (
        <>
          <p class={`run ${report.ok ? "DONE" : "REJECTED"}`} data-testid="ledger-result">
            用户 {report.user_id}：{report.ok ? "余额与积分账本均核对无误" : "账本核对发现问题"}</p>
          <Chain kind="balance" chain={report.balance} />
          <Chain kind="points" chain={report.points} />
        </>
      )}
    </div>
  );
}
