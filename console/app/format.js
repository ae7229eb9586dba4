// Dates, periods and amounts as firm staff write them (French, Paris time).

const ZONE = "Europe/Paris";
const dayFormat = new Intl.DateTimeFormat("fr-FR", { timeZone: ZONE, day: "2-digit", month: "2-digit", year: "numeric" });
const timeFormat = new Intl.DateTimeFormat("fr-FR", { timeZone: ZONE, hour: "2-digit", minute: "2-digit" });
const monthFormat = new Intl.DateTimeFormat("fr-FR", { timeZone: "UTC", month: "long", year: "numeric" });
const shortMonthFormat = new Intl.DateTimeFormat("fr-FR", { timeZone: "UTC", month: "short", year: "2-digit" });
const money = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

/** @param {string | null | undefined} iso a date (`2026-05-31`) */
export function day(iso) {
  if (!iso) return "—";
  const [year, month, date] = iso.slice(0, 10).split("-");
  return `${date}/${month}/${year}`;
}

/** @param {string | null | undefined} iso a timestamp */
export function dateTime(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return `${dayFormat.format(when)} à ${timeFormat.format(when)}`;
}

/** @param {string} period `2026-05` */
function periodDate(period) {
  const [year, month] = period.split("-").map(Number);
  return new Date(Date.UTC(year, (month || 1) - 1, 1));
}

/** @param {string | null | undefined} period `2026-05` → « mai 2026 » */
export function period(period) {
  if (!period || !/^\d{4}-\d{2}$/.test(period)) return period || "—";
  return monthFormat.format(periodDate(period));
}

/** @param {string} period `2026-05` → « mai 26 » (chart axis) */
export function shortPeriod(period) {
  return /^\d{4}-\d{2}$/.test(period) ? shortMonthFormat.format(periodDate(period)) : period;
}

/** @param {string | number | null | undefined} amount a decimal as the API writes it */
export function euros(amount) {
  if (amount === null || amount === undefined || amount === "") return "—";
  const value = Number(amount);
  return Number.isFinite(value) ? money.format(value) : String(amount);
}

/**
 * Whole days from today (Paris) to a date: negative once it has passed.
 * @param {string} iso `2026-05-31`
 * @param {Date} [now]
 */
export function daysUntil(iso, now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(now).split("-").map(Number);
  const today = Date.UTC(parts[0], parts[1] - 1, parts[2]);
  const [year, month, date] = iso.slice(0, 10).split("-").map(Number);
  return Math.round((Date.UTC(year, month - 1, date) - today) / 86_400_000);
}

/**
 * @param {number} count
 * @param {string} one
 * @param {string} many
 */
export function plural(count, one, many) {
  return `${count} ${count > 1 ? many : one}`;
}

/** @param {string} trigger */
export function trigger(trigger) {
  return { nightly: "nuit", on_demand: "à la demande", replay: "relance" }[trigger] || trigger;
}

/**
 * The closed months, most recent first: `["2026-05", "2026-04", …]` (the current month is not closed).
 * @param {number} count
 * @param {Date} [now]
 */
export function closedPeriods(count, now = new Date()) {
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(now).split("-").map(Number);
  return Array.from({ length: count }, (_, index) => {
    const when = new Date(Date.UTC(year, month - 2 - index, 1));
    return `${when.getUTCFullYear()}-${String(when.getUTCMonth() + 1).padStart(2, "0")}`;
  });
}
