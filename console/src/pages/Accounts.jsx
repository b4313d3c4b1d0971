import { useState } from "preact/hooks";
import { call, endSession } from "../api.js";
import { ErrorText } from "../ErrorText.jsx";
import { ROLE_NAMES } from "../roles.js";
import { usePagedList } from "../useList.js";
import { useRequest } from "../useRequest.js";

function AccountRow({ account, self, onChanged }) {
  const [asking, setAsking] = useState(false);
  const request = useRequest();
  async function disable() {
    const done = await request.run(() => call("POST", `/v1/staff/accounts/${encodeURIComponent(account.username)}/disable`));
    if (done) onChanged({ ...account, disabled: true });
    setAsking(false);
  }
  return (
    <tr data-testid="account-row" class={account.disabled ? "muted" : ""}>
      <td><strong>{account.display_name || "—"}</strong><div class="hint">{account.username}</div></td>
      <td>{ROLE_NAMES[account.role] || account.role}</td>
      <td>{account.role === "hq" ? "全部油站" : account.station_ids.join("、") || "—"}</td>
      <td>{account.disabled ? <span class="badge">已停用</span> : <span class="badge live">正常</span>}</td>
      <td class="row-actions">
        {!account.disabled && !self && !asking &&
          <button type="button" class="danger-text" onClick={() => setAsking(true)}>停用</button>}
        {asking && (
          <>
            <span class="hint">停用后立即退出所有设备且不能再登录。</span>
            <button type="button" disabled={request.busy} onClick={() => setAsking(false)}>取消</button>
            <button type="button" class="primary danger" disabled={request.busy} onClick={disable}>
              {request.busy ? "停用中…" : "确认停用"}</button>
          </>
        )}
        {self && <span class="hint">当前账号</span>}
        <ErrorText error={request.error} />
      </td>
    </tr>
  );
}

// The signed-in account ends every session of its own, this tab's too (a lost phone).
function LogOutEverywhere() {
  const request = useRequest();
  return (
    <div class="card own">
      <div><strong>本账号</strong><div class="hint">手机或电脑丢失时：让本账号在所有设备上立即退出（包括此页面）。</div></div>
      <button type="button" class="danger-text" disabled={request.busy}
        onClick={() => request.run(() => call("POST", "/v1/staff/logout-all")).then((done) => done && endSession())}>
        {request.busy ? "处理中…" : "在所有设备上退出"}</button>
      <ErrorText error={request.error} />
    </div>
  );
}

export function Accounts({ session }) {
  const list = usePagedList("/v1/staff/accounts?limit=100", (a) => a.username);
  const items = list.items && [...list.items].sort((a, b) => a.username.localeCompare(b.username));
  return (
    <div class="accounts">
      <LogOutEverywhere />
      <section>
        <h2>员工账号</h2>
        <ErrorText error={list.load.error} />
        {items && (
          <table class="list">
            <thead><tr><th>姓名 / 用户名</th><th>岗位</th><th>油站</th><th>状态</th><th /></tr></thead>
            <tbody>{items.map((a) => (
              <AccountRow key={a.username} account={a} self={a.username === session.staff.username}
                onChanged={list.replace} />
            ))}</tbody>
          </table>
        )}
        {list.next && <button type="button" onClick={list.more} disabled={list.load.busy}>加载更多</button>}
      </section>
    </div>
  );
}
