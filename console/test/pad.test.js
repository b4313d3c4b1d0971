import { expect, it } from "vitest";
import { press } from "../src/pad.js";

const type = (keys) => [...keys].reduce(press, "");

it("types an amount with at most two decimals and one dot", () => {
  expect(type("250")).toBe("250");
  expect(type("12.345")).toBe("12.34");
  expect(type("1..2")).toBe("1.2");
  expect(type(".5")).toBe("0.5");
  expect(type("007")).toBe("7");
});

it("deletes, clears and stops at its length", () => {
  expect(press("123", "⌫")).toBe("12");
  expect(press("123", "C")).toBe("");
  expect(type("1234567890123")).toBe("123456789");
});
