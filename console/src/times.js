// Times as staff read and type them: the station's day (Asia/Shanghai, UTC+8 all year, no
// daylight saving), whatever zone the tablet's clock is set to. The API speaks UTC ISO 8601.
const OFFSET_MS = 8 * 3600 * 1000;

// "2026-12-06" of the moment in Shanghai.
export function shanghaiDay(moment = new Date(), addDays = 0) {
  return new Date(moment.getTime() + OFFSET_MS + addDays * 86400000).toISOString().slice(0, 10);
}

// A datetime-local input's value ("2026-12-06T14:00") for a moment, in Shanghai.
export function localInput(moment) {
  return new Date(moment.getTime() + OFFSET_MS).toISOString().slice(0, 16);
}

// What a datetime-local input holds, read in Shanghai, as the API wants it; null if not a time.
export function shanghaiIso(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value || "")) return null;
  const moment = new Date(`${value}:00+08:00`);
  return Number.isNaN(moment.getTime()) ? null : moment.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// "12-06 14:00" in Shanghai, for lists; with its year when that is not this year's
// ("2027-12-06 14:00"), so a window ending next year never reads as ending today.
export function dayTime(iso, now = new Date()) {
  if (!iso) return "—";
  const shown = localInput(new Date(iso)).replace("T", " ");
  return shown.slice(0, 4) === localInput(now).slice(0, 4) ? shown.slice(5) : shown;
}
