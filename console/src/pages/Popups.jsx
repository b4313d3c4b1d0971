import { useState } from "preact/hooks";
import { call } from "../api.js";
import { ErrorText, OtherError } from "../ErrorText.jsx";
import {
  ACTION_NAMES, EMPTY_TARGETING, FREQUENCIES, PLACEMENTS, STATUSES, actionsOf, audience,
  clickRate, popupBody,
} from "../popups.js";
import { MEMBER_LEVELS as LEVELS } from "../format.js";
import { dayTime, localInput } from "../times.js";
import { useCreateForm } from "../useCreateForm.jsx";
import { usePagedList } from "../useList.js";
import { useRequest } from "../useRequest.js";

const FIELDS = ["title", "image_url", "link", "placement", "starts_at", "ends_at", "priority", "frequency", "rules"];
const PAGE = 50;

function freshForm() {
  const now = new Date();
  return {
    title: "", imageUrl: "", link: "", placement: "popup", priority: "0", frequency: "once_per_day",
    startsAt: localInput(now), endsAt: localInput(new Date(now.getTime() + 7 * 86400000)),
    targeting: { ...EMPTY_TARGETING },
  };
}

function Targeting({ value, onChange }) {
  const set = (patch) => onChange({ ...value, ...patch });
  const toggleLevel = (level) => set({
    levels: value.levels.includes(level) ? value.levels.filter((l) => l !== level) : [...value.levels, level],
  });
  return (
    <div class="targeting">
      <label class="check"><input type="checkbox" aria-label="限新用户" checked={value.newUser}
        onChange={(e) => set({ newUser: e.currentTarget.checked })} />注册
        <input class="short" aria-label="新用户天数" value={value.newUserDays} disabled={!value.newUser}
          onInput={(e) => set({ newUserDays: e.currentTarget.value })} />天内的新用户</label>
      <div class="check">会员等级
        {Object.entries(LEVELS).map(([level, name]) => (
          <label key={level} class="check"><input type="checkbox" checked={value.levels.includes(level)}
            onChange={() => toggleLevel(level)} />{name}</label>
        ))}
      </div>
      <label class="check"><input type="checkbox" aria-label="限油站周边" checked={value.near}
        onChange={(e) => set({ near: e.currentTarget.checked })} />油站
        <input class="mid" aria-label="周边油站编号" placeholder="ty-001" value={value.nearStation} disabled={!value.near}
          onInput={(e) => set({ nearStation: e.currentTarget.value })} />周边
        <input class="short" aria-label="周边半径（米）" value={value.nearRadius} disabled={!value.near}
          onInput={(e) => set({ nearRadius: e.currentTarget.value })} />米</label>
      <label class="check"><input type="checkbox" aria-label="限区县" checked={value.district}
        onChange={(e) => set({ district: e.currentTarget.checked })} />区县
        <input class="mid" aria-label="区县" placeholder="迎泽区、小店区" value={value.districts} disabled={!value.district}
          onInput={(e) => set({ districts: e.currentTarget.value })} /></label>
      <label class="check"><input type="checkbox" aria-label="限久未加油" checked={value.inactive}
        onChange={(e) => set({ inactive: e.currentTarget.checked })} />
        <input class="short" aria-label="未加油天数" value={value.inactiveDays} disabled={!value.inactive}
          onInput={(e) => set({ inactiveDays: e.currentTarget.value })} />天以上未加油</label>
    </div>
  );
}

function PopupForm({ onCreated }) {
  const { form, set, text, at, submit, request } = useCreateForm({
    fresh: freshForm, toBody: popupBody, path: "/v1/staff/marketing/popups", onCreated });
  return (
    <form class="card popup-form" onSubmit={submit} aria-label="新建弹窗">
      <h2>新建弹窗 / 横幅</h2>
      <div class="grid2">
        <label>标题<input name="title" maxLength={40} {...text("title")} />{at("title")}</label>
        <label>展示位置
          <select name="placement" value={form.placement} onChange={(e) => set({ placement: e.currentTarget.value })}>
            {Object.entries(PLACEMENTS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
          </select>{at("placement")}</label>
        <label class="span2">图片地址<input name="image_url" placeholder="https://…" {...text("imageUrl")} />{at("image_url")}</label>
        <label>开始时间（北京时间）<input type="datetime-local" name="starts_at" {...text("startsAt")} />{at("starts_at")}</label>
        <label>结束时间（北京时间）<input type="datetime-local" name="ends_at" {...text("endsAt")} />{at("ends_at")}</label>
        <label>每人展示上限
          <select name="frequency" value={form.frequency} onChange={(e) => set({ frequency: e.currentTarget.value })}>
            {Object.entries(FREQUENCIES).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
          </select>{at("frequency")}</label>
        <label>优先级（0–1000，大者先展示）<input name="priority" inputmode="numeric" {...text("priority")} />{at("priority")}</label>
        <label class="span2">点击跳转（可选）<input name="link" placeholder="pages/coupons/index" {...text("link")} />{at("link")}</label>
      </div>
      <fieldset>
        <legend>投放对象（勾选的条件须同时满足；不勾选则面向全部用户）</legend>
        <Targeting value={form.targeting} onChange={(targeting) => set({ targeting })} />
        {at("rules")}
      </fieldset>
      <OtherError error={request.error} fields={FIELDS} testId="popup-create-error" />
      <div class="actions">
        <button type="submit" class="primary" disabled={request.busy}>{request.busy ? "创建中…" : "创建"}</button>
      </div>
    </form>
  );
}

function PopupRow({ popup, onChanged }) {
  const request = useRequest();
  async function act(action) {
    const done = await request.run(() => call("POST", `/v1/staff/marketing/popups/${popup.id}/${action}`));
    if (done) onChanged(done.data);
  }
  return (
    <tr data-testid="popup-row">
      <td><strong>{popup.title}</strong><div class="hint">{PLACEMENTS[popup.placement] || popup.placement} · 优先级 {popup.priority}</div>
        <a class="url" href={popup.image_url} target="_blank" rel="noreferrer" title={popup.image_url}>查看图片</a></td>
      <td class="nowrap">{dayTime(popup.starts_at)}<br />至 {dayTime(popup.ends_at)}</td>
      <td>{audience(popup.rules)}<div class="hint">{FREQUENCIES[popup.frequency] || popup.frequency}</div></td>
      <td><span class={`badge ${popup.status}`}>{STATUSES[popup.status] || popup.status}</span></td>
      <td class="num" data-testid="shown">{popup.stats.shown}</td>
      <td class="num" data-testid="clicked">{popup.stats.clicked}</td>
      <td class="num">{clickRate(popup.stats)}</td>
      <td class="row-actions">
        {actionsOf(popup.status).map((action) => (
          <button type="button" key={action} class={action === "end" ? "danger-text" : ""}
            disabled={request.busy} onClick={() => act(action)}>{ACTION_NAMES[action]}</button>
        ))}
        <ErrorText error={request.error} />
      </td>
    </tr>
  );
}

export function Popups() {
  const list = usePagedList(`/v1/staff/marketing/popups?limit=${PAGE}`);
  const { items } = list;
  return (
    <div class="popups">
      <PopupForm onCreated={list.add} />
      <section>
        <h2>弹窗与横幅 <button type="button" class="small" onClick={list.reload} disabled={list.load.busy}>刷新统计</button></h2>
        <ErrorText error={list.load.error} />
        {items !== null && items.length === 0 && <p class="hint">还没有弹窗或横幅</p>}
        {items !== null && items.length > 0 && (
          <table class="list">
            <thead><tr><th>标题</th><th>投放时间</th><th>投放对象 / 上限</th><th>状态</th>
              <th class="num">展示</th><th class="num">点击</th><th class="num">点击率</th><th /></tr></thead>
            <tbody>{items.map((p) => <PopupRow key={p.id} popup={p} onChanged={list.replace} />)}</tbody>
          </table>
        )}
        {list.next && <button type="button" onClick={list.more} disabled={list.load.busy}>加载更多</button>}
      </section>
    </div>
  );
}
