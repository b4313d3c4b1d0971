// The big-number pad's text as the attendant types it: digits, one dot, two decimals at most.

export const MAX_LENGTH = 9;

export function press(text, key) {
  if (key === "C") return "";
  if (key === "⌫") return text.slice(0, -1);
  if (text.length >= MAX_LENGTH) return text;
  if (key === ".") {
    if (text.includes(".")) return text;
    return text === "" ? "0." : text + ".";
  }
  if (!/^\d$/.test(key)) return text;
  const dot = text.indexOf(".");
  if (dot >= 0 && text.length - dot > 2) return text;
  if (text === "0") return key;
  return text + key;
}
