// The signed-in staff member, kept for this browser tab only (sessionStorage): closing the tab
// signs out, and no other tab or later visit finds the token.
const KEY = "fuel-console-session";

export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}
