import { afterEach, expect, it, vi } from "vitest";

afterEach(() => vi.unstubAllGlobals());

it("sends no request before it knows the API's address, however early the call", async () => {
  vi.stubGlobal("sessionStorage", { getItem: () => null, setItem() {}, removeItem() {} });
  let release;
  const asked = [];
  vi.stubGlobal("fetch", vi.fn((url) => {
    asked.push(url);
    if (url === "config.json") {
      return new Promise((resolve) => { release = () => resolve({ json: async () => ({ api_url: "http://api.test/" }) }); });
    }
    return Promise.resolve({ ok: true, status: 200, json: async () => ({ token: "t" }), headers: { get: () => null } });
  }));
  const api = await import("../src/api.js");
  api.configure(() => {});
  const signingIn = api.signIn("mgr", "pw");  // typed before config.json answered
  await Promise.resolve();
  expect(asked).toEqual(["config.json"]);
  release();
  expect(await signingIn).toEqual({ token: "t" });
  expect(asked).toEqual(["config.json", "http://api.test/v1/staff/login"]);
});
