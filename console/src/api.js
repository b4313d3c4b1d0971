// The one way the console reaches the staff API: JSON in and out, the bearer token from the
// session, errors as {status, code, field} (shown through errors.js), a 401 signs out.
import { clearSession, loadSession } from "./session.js";

let apiUrl = "";
let onSignedOut = () => {};

// Every call waits for the API's address: a sign-in typed before config.json arrived would
// otherwise be sent to the page's own server.
let configured = null;

export function configure(signedOut) {
  onSignedOut = signedOut;
  // Written next to the page by whoever serves it (the devstack, or the deploy into S3), so one
  // build runs against any stage.
  configured = fetch("config.json", { cache: "no-store" }).then((r) => r.json())
    .then((config) => { apiUrl = config.api_url.replace(/\/$/, ""); });
  configured.catch(() => { configured = null; });  // a failed load is tried again by the next call
  return configured;
}

// The session ended on purpose here (log out everywhere): as after a 401, back to the login.
export function endSession() {
  clearSession();
  onSignedOut();
}

export class ApiError extends Error {
  constructor({ status = 0, code = null, field = null, network = false }) {
    super(code || `HTTP ${status}`);
    Object.assign(this, { status, code, field, network });
  }
}

// `text`: the answer is read as text (the settlement CSV), not JSON.
export async function call(method, path, { body, headers = {}, etag, text = false } = {}) {
  const session = loadSession();
  const sent = { ...headers };
  if (session) sent.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (etag) sent["If-None-Match"] = etag;
  let response;
  try {
    await (configured || configure(onSignedOut));
    // no-store: the board's ETag is handled here, not by the browser's cache.
    response = await fetch(apiUrl + path, {
      method, headers: sent, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({ network: true });
  }
  if (response.status === 304) return { notModified: true, etag };
  if (response.status === 204) return {};
  if (response.ok && text) return { data: await response.text() };
  const data = await response.json().catch(() => null);
  if (response.ok) return { data, etag: response.headers.get("ETag") };
  if (response.status === 401 && session) {
    clearSession();
    onSignedOut();
  }
  throw new ApiError({ status: response.status, code: data && data.code, field: data && data.field });
}

export const signIn = (username, password) =>
  call("POST", "/v1/staff/login", { body: { username, password } }).then((r) => r.data);

// "?a=1&b=x" from the params that have a value ("" and null left out).
export function query(params) {
  const kept = Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "");
  if (kept.length === 0) return "";
  return "?" + kept.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}
