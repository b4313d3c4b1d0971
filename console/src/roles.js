// What each role sees in the console. The API decides what each may do; this only keeps a page
// away from a role that the API would refuse anyway. `station`: the page works on the station
// chosen in the header (hq's chain-wide pages need none).
const ALL = ["attendant", "manager", "hq"];
const MANAGERS = ["manager", "hq"];
const HQ = ["hq"];

export const PAGES = {
  board: { title: "加油确认", roles: ALL, station: true },
  orders: { title: "订单查询", roles: MANAGERS, station: true },
  prices: { title: "油价管理", roles: MANAGERS, station: true },
  station: { title: "库存与促销", roles: MANAGERS, station: true },
  reconciliation: { title: "对账结算", roles: MANAGERS, station: true },
  popups: { title: "弹窗广告", roles: HQ, station: false },
  coupons: { title: "优惠券", roles: HQ, station: false },
  ledger: { title: "钱包核对", roles: HQ, station: false },
  accounts: { title: "员工账号", roles: HQ, station: false },
  stations: { title: "全部油站", roles: HQ, station: false },
};

export const ROLE_NAMES = { attendant: "加油员", manager: "站长", hq: "总部" };

// Who made a recorded change (a price change): their role and the name they had then; changes
// recorded before names were kept carry only the staff id.
export const changedBy = (change) =>
  `${ROLE_NAMES[change.role] || change.role} ${change.changed_by_name || change.changed_by}`;

export function mayOpen(role, page) {
  return Boolean(PAGES[page]) && PAGES[page].roles.includes(role);
}

export function pagesOf(role) {
  return Object.keys(PAGES).filter((page) => mayOpen(role, page));
}

export const needsStation = (page) => Boolean(PAGES[page] && PAGES[page].station);

export const mayRefund = (role) => MANAGERS.includes(role);
