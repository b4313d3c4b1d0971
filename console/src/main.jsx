import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { configure } from "./api.js";
import { clearSession, loadSession, saveSession } from "./session.js";
import { PAGES, ROLE_NAMES, mayOpen, needsStation, pagesOf } from "./roles.js";
import { Accounts } from "./pages/Accounts.jsx";
import { Board } from "./pages/Board.jsx";
import { Coupons } from "./pages/Coupons.jsx";
import { Ledger } from "./pages/Ledger.jsx";
import { Orders } from "./pages/Orders.jsx";
import { Station } from "./pages/Station.jsx";
import { Stations } from "./pages/Stations.jsx";
import { Login } from "./pages/Login.jsx";
import { Popups } from "./pages/Popups.jsx";
import { Prices } from "./pages/Prices.jsx";
import { Reconciliation } from "./pages/Reconciliation.jsx";
import "./style.css";

const VIEWS = { board: Board, prices: Prices, reconciliation: Reconciliation, popups: Popups,
  coupons: Coupons, ledger: Ledger, orders: Orders, station: Station, accounts: Accounts, stations: Stations };

const pageOfHash = () => location.hash.replace(/^#\/?/, "") || "board";

function StationSwitcher({ session, stationId, onChange }) {
  const ids = session.staff.station_ids;
  if (session.staff.role === "hq") {
    // HQ acts for every station: it names the one it wants.
    return <label class="station">油站编号<input name="station" value={stationId}
      onChange={(e) => onChange(e.currentTarget.value.trim())} placeholder="如 ty-001" /></label>;
  }
  if (ids.length === 1) return <span class="station">油站 {ids[0]}</span>;
  return (
    <label class="station">油站
      <select name="station" value={stationId} onChange={(e) => onChange(e.currentTarget.value)}>
        {ids.map((id) => <option key={id} value={id}>{id}</option>)}
      </select>
    </label>
  );
}

function App() {
  const [session, setSession] = useState(loadSession);
  const [page, setPage] = useState(pageOfHash);
  const [signedOutNote, setSignedOutNote] = useState(false);

  useEffect(() => {
    const follow = () => setPage(pageOfHash());
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  useEffect(() => {
    configure(() => {
      setSession(null);
      setSignedOutNote(true);
    });
  }, []);

  function signedIn(answer) {
    const next = { token: answer.token, staff: answer.staff, stationId: answer.staff.station_ids[0] || "" };
    saveSession(next);
    setSignedOutNote(false);
    setSession(next);
  }
  function signOut() {
    clearSession();
    setSession(null);
  }
  function switchStation(stationId) {
    const next = { ...session, stationId };
    saveSession(next);
    setSession(next);
  }

  if (!session) {
    return (
      <main class="center">
        {signedOutNote && <p class="error" role="alert" data-testid="signed-out">登录已失效，请重新登录</p>}
        <Login onSignedIn={signedIn} />
      </main>
    );
  }
  const { staff } = session;
  const View = VIEWS[page];
  return (
    <div class="shell">
      <header>
        <strong class="brand">加油站控制台</strong>
        <nav class={pagesOf(staff.role).length > 4 ? "many" : ""}>
          {pagesOf(staff.role).map((name) => (
            <a key={name} href={`#/${name}`} class={name === page ? "active" : ""}>{PAGES[name].title}</a>
          ))}
        </nav>
        <StationSwitcher session={session} stationId={session.stationId} onChange={switchStation} />
        <span class="who">{staff.display_name || staff.username} · {ROLE_NAMES[staff.role] || staff.role}</span>
        <button type="button" onClick={signOut}>退出</button>
      </header>
      <main>
        {!mayOpen(staff.role, page) ? (
          <div class="refused">
            <p class="error" role="alert" data-testid="refused">您的岗位（{ROLE_NAMES[staff.role]}）无权访问此页面</p>
            <a href="#/board">返回加油确认</a>
          </div>
        ) : needsStation(page) && !session.stationId ? (
          <p class="hint">请先输入油站编号</p>
        ) : (
          <View key={session.stationId} session={session} stationId={session.stationId}
            onOpen={(stationId, name) => { switchStation(stationId); location.hash = `#/${name}`; }} />
        )}
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app"));
