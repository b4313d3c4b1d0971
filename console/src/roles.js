// What each role sees in the console. The API decides what each may do; this only keeps a page
// away from a role that the API would refuse anyway.
export const PAGES = {
  board: { title: "加油确认", roles: ["attendant", "manager", "hq"] },
  prices: { title: "油价管理", roles: ["manager", "hq"] },
};

export const ROLE_NAMES = { attendant: "加油员", manager: "站长", hq: "总部" };

export function mayOpen(role, page) {
  return Boolean(PAGES[page]) && PAGES[page].roles.includes(role);
}

export function pagesOf(role) {
  return Object.keys(PAGES).filter((page) => mayOpen(role, page));
}

export const mayRefund = (role) => role === "manager" || role === "hq";
