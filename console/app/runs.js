// Runs: following one to its end, its result, the history as a table and as a chart per month.

import { get, pause, seg } from "./api.js";
import { h, svg } from "./dom.js";
import { dateTime, euros, period, plural, shortPeriod, trigger } from "./format.js";
import { runBadge, runStatusLabel } from "./status.js";
import { diagnosisList, table } from "./ui.js";

/** @typedef {import("./types.js").Run} Run */
/** @typedef {import("./types.js").RunEntry} RunEntry */
/** @typedef {import("./types.js").Diagnosis} Diagnosis */

const STEPS = /** @type {Record<string, number>} */ ({ queued: 1, running: 2, retrying: 2 });
const ENTRY_STATUSES = /** @type {Record<string, string>} */ ({
  posted: "Envoyée",
  already_posted: "Déjà présente",
  blocked: "Bloquée",
  dry_run: "Aperçu",
});

/**
 * Follow a run until it finishes, showing its progress in `output`, then its result.
 * @param {string} runId
 * @param {Element} output
 * @param {AbortSignal} signal the screen's: leaving it stops following
 * @returns {Promise<Run>}
 */
export async function followRun(runId, output, signal) {
  const bar = h("progress", { max: "3", value: "1", "aria-label": "Avancement de la synchronisation" });
  const text = h("p", { class: "progress__text" }, "En file d'attente…");
  output.replaceChildren(h("div", { class: "progress", role: "status", "aria-live": "polite" }, bar, text));
  for (;;) {
    /** @type {Run} */
    const run = await get(`/runs/${seg(runId)}`, signal);
    if (run.finished) {
      output.replaceChildren(runResult(run));
      return run;
    }
    bar.value = STEPS[run.status] || 1;
    text.textContent = `${runStatusLabel(run.status)} — période ${period(run.period)}${run.attempts > 1 ? ` (essai ${run.attempts})` : ""}…`;
    await pause(1000, signal);
  }
}

/**
 * Every diagnosis of a run, the run's own then its entries', each once.
 * @param {Run} run
 */
function runDiagnoses(run) {
  /** @type {Map<string, Diagnosis>} */
  const seen = new Map();
  for (const found of [...run.diagnoses, ...run.entries.flatMap((entry) => entry.diagnoses)]) {
    seen.set(`${found.code}\n${found.message}`, found);
  }
  return [...seen.values()];
}

/**
 * A finished run: what was posted, what blocks, what to do.
 * @param {Run} run
 */
export function runResult(run) {
  const diagnoses = runDiagnoses(run);
  return h(
    "div",
    { class: "run-result", "data-run-status": run.status },
    h("p", { class: "run-result__title" }, `Synchronisation de ${period(run.period)} terminée : `, runBadge(run.status)),
    h(
      "dl",
      { class: "stats" },
      stat("Écritures envoyées", run.posted),
      stat("Déjà présentes", run.already_posted),
      stat("Bloquées", run.blocked),
      stat("Pièces jointes", run.files_attached),
    ),
    diagnoses.length ? diagnosisList(diagnoses) : null,
    run.entries.length ? entryTable(run.entries) : null,
  );
}

/**
 * @param {string} term
 * @param {number} value
 */
function stat(term, value) {
  return h("div", { class: "stat" }, h("dt", {}, term), h("dd", {}, String(value)));
}

/** @param {RunEntry[]} entries */
function entryTable(entries) {
  return table(
    "Écritures de la synchronisation",
    ["Écriture", "État", "Débit", "Crédit", "N° d'écriture MyUnisoft", "Request-id", "Pièces jointes"],
    entries.map((entry) =>
      h(
        "tr",
        {},
        h("td", {}, entry.label),
        h("td", {}, ENTRY_STATUSES[entry.status] || entry.status),
        h("td", { class: "number" }, euros(entry.debit)),
        h("td", { class: "number" }, euros(entry.credit)),
        h("td", {}, entry.entry_id === null ? "—" : h("code", {}, String(entry.entry_id))),
        h("td", {}, entry.request_id ? h("code", {}, entry.request_id) : "—"),
        h("td", {}, entry.files.length ? entry.files.join(", ") : "—"),
      ),
    ),
  );
}

/**
 * The dossier's runs, newest first, each with its entries (MyUnisoft entry ids, request-ids).
 * @param {Run[]} runs
 */
export function runTable(runs) {
  return table(
    "Historique des synchronisations",
    ["Période", "Déclenchée", "Statut", "Terminée le", "Envoyées", "Déjà présentes", "Bloquées", "Détail"],
    runs.map((run) =>
      h(
        "tr",
        { "data-run": run.run_id },
        h("td", {}, period(run.period)),
        h("td", {}, trigger(run.trigger)),
        h("td", {}, runBadge(run.status)),
        h("td", {}, dateTime(run.finished_at)),
        h("td", { class: "number" }, String(run.posted)),
        h("td", { class: "number" }, String(run.already_posted)),
        h("td", { class: "number" }, String(run.blocked)),
        h("td", {}, runDetails(run)),
      ),
    ),
    "Aucune synchronisation pour l'instant.",
    { cards: true },
  );
}

/** @param {Run} run */
function runDetails(run) {
  const diagnoses = runDiagnoses(run);
  return h(
    "details",
    { class: "run-details" },
    h("summary", {}, plural(run.entries.length, "écriture", "écritures")),
    run.entries.length
      ? h(
          "ul",
          { class: "plain" },
          run.entries.map((entry) =>
            h(
              "li",
              {},
              h("strong", {}, entry.label),
              ` — ${ENTRY_STATUSES[entry.status] || entry.status}`,
              entry.entry_id !== null ? [" — écriture MyUnisoft n° ", h("code", {}, String(entry.entry_id))] : null,
              entry.request_id ? [" — request-id ", h("code", {}, entry.request_id)] : null,
            ),
          ),
        )
      : null,
    run.request_ids.length ? h("p", {}, "Request-ids : ", run.request_ids.map((id) => h("code", { class: "tag" }, id))) : null,
    diagnoses.length ? diagnosisList(diagnoses) : null,
  );
}

/**
 * Per month: entries posted (all runs), entries still blocked (the month's latest run), failed runs.
 * @param {Run[]} runs newest first
 */
export function monthlyTotals(runs) {
  /** @type {Map<string, {posted: number, blocked: number, failed: number, latest: boolean}>} */
  const months = new Map();
  for (const run of runs) {
    const month = months.get(run.period) || { posted: 0, blocked: 0, failed: 0, latest: false };
    month.posted += run.posted;
    if (run.status === "failed") month.failed += 1;
    if (!month.latest && run.finished) {
      month.blocked = run.blocked;
      month.latest = true;
    }
    months.set(run.period, month);
  }
  return [...months.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(-12)
    .map(([month, totals]) => ({ month, posted: totals.posted, blocked: totals.blocked, failed: totals.failed }));
}

const SERIES = /** @type {const} */ ([
  ["posted", "Écritures envoyées"],
  ["blocked", "Écritures bloquées"],
  ["failed", "Synchronisations en échec"],
]);

/**
 * The runs as a bar chart per month (inline SVG), with its legend; the table says the same in words.
 * @param {Run[]} runs newest first
 */
export function runChart(runs) {
  const months = monthlyTotals(runs);
  if (!months.length) return h("p", { class: "muted" }, "Pas encore de synchronisation à représenter.");
  const top = Math.max(1, ...months.flatMap((m) => [m.posted, m.blocked, m.failed]));
  const bar = 18;
  const slot = bar * 3 + 34;
  const left = 36;
  const width = Math.max(360, left + months.length * slot + 10);
  const height = 210;
  const base = height - 34;
  const scale = (base - 24) / top;
  const summary = months
    .map((m) => `${period(m.month)} : ${m.posted} envoyée(s), ${m.blocked} bloquée(s), ${m.failed} échec(s)`)
    .join(" ; ");
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width, height, class: "chart", role: "img", "aria-label": `Synchronisations par mois — ${summary}` },
    svg("line", { x1: left, x2: width - 6, y1: base, y2: base, class: "chart__axis" }),
    [top, Math.round(top / 2)].map((value) =>
      svg("g", {}, svg("line", { x1: left, x2: width - 6, y1: base - value * scale, y2: base - value * scale, class: "chart__grid" }),
        svg("text", { x: left - 6, y: base - value * scale + 4, class: "chart__tick", "text-anchor": "end" }, String(value))),
    ),
    months.map((m, index) => {
      const x = left + 12 + index * slot;
      return svg(
        "g",
        {},
        SERIES.map(([key], position) => {
          const value = m[key];
          const y = base - value * scale;
          return svg(
            "g",
            {},
            svg("rect", { x: x + position * bar, y, width: bar - 3, height: Math.max(value * scale, 0), class: `chart__bar chart__bar--${key}` }),
            svg("text", { x: x + position * bar + (bar - 3) / 2, y: y - 4, class: "chart__value", "text-anchor": "middle" }, String(value)),
          );
        }),
        svg("text", { x: x + (bar * 3) / 2, y: base + 18, class: "chart__label", "text-anchor": "middle" }, shortPeriod(m.month)),
      );
    }),
  );
  return h(
    "figure",
    { class: "chart-figure" },
    chart,
    h(
      "figcaption",
      {},
      h("ul", { class: "legend" }, SERIES.map(([key, label]) => h("li", {}, h("span", { class: `legend__swatch chart__bar--${key}`, "aria-hidden": "true" }), label))),
    ),
  );
}
