// A dossier's « Périodes »: one month's entries as they stand (in sync, modified in Silae, deleted or
// edited in MyUnisoft…), with « Remplacer » behind a confirmation that shows the difference.
//
// The period view is GET /dossiers/{id}/periods/{period} (`?live=true`: checked against Silae and
// MyUnisoft now); the replace is POST /dossiers/{id}/sync with {"period", "replace": true} (with
// "dry_run": true it previews the reversals and new versions). See openapi.json's PeriodAnswer.

import { call, get, send, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { closedPeriods, dateTime, euros, period } from "../format.js";
import { followRun } from "../runs.js";
import { badge } from "../status.js";
import { confirmDialog, diagnosisList, errorBox, field, loading, panel, runAction, table } from "../ui.js";
import { dossierHeader, dossierLoading } from "./dossier-header.js";
import { dryRunView } from "./dossier.js";

/** @typedef {import("../types.js").Diagnosis} Diagnosis */
/** @typedef {{debit: string | null, credit: string | null}} Totals */
/** @typedef {{account: string, label: string, before: string | null, after: string | null}} Difference */
/**
 * @typedef {object} PeriodEntry
 * @property {string} label
 * @property {string} state
 * @property {number | null} version
 * @property {number | null} entryId
 * @property {Totals} posted
 * @property {Totals} current
 * @property {Difference[]} differences
 * @property {Diagnosis[]} diagnoses
 */

/** @type {Record<string, [import("../status.js").Tone, string]>} */
export const ENTRY_STATES = {
  in_sync: ["ok", "À jour"],
  changed_in_silae: ["changed", "Modifiée dans Silae"],
  deleted_in_myunisoft: ["error", "Supprimée dans MyUnisoft"],
  changed_in_myunisoft: ["info", "Modifiée dans MyUnisoft"],
  new_in_silae: ["progress", "Nouvelle dans Silae"],
  not_posted: ["neutral", "Pas encore envoyée"],
  blocked: ["warn", "Bloquée"],
};
/** What « Remplacer » fixes. */
const REPLACEABLE = new Set(["changed_in_silae", "deleted_in_myunisoft", "new_in_silae"]);

/** @param {any} raw */
function readTotals(raw) {
  return raw ? { debit: raw.debit ?? null, credit: raw.credit ?? null } : { debit: null, credit: null };
}

/** @param {any} raw */
export function readEntry(raw) {
  return /** @type {PeriodEntry} */ ({
    label: String(raw.label ?? raw.base_id ?? ""),
    state: String(raw.state ?? ""),
    version: raw.version ?? null,
    entryId: raw.entry_id ?? null,
    posted: readTotals(raw.posted_totals),
    current: readTotals(raw.current_totals),
    differences: (raw.differences ?? []).map((/** @type {any} */ d) => ({
      account: String(d.account ?? ""),
      label: String(d.label ?? ""),
      before: d.before ?? null,
      after: d.after ?? null,
    })),
    diagnoses: raw.diagnoses ?? [],
  });
}

/** @param {Totals} totals */
function totalsText(totals) {
  if (totals.debit === null && totals.credit === null) return "—";
  return `D ${euros(totals.debit)} / C ${euros(totals.credit)}`;
}

/** @param {Difference[]} differences */
function differenceList(differences) {
  if (!differences.length) return h("span", { class: "muted" }, "—");
  return h(
    "ul",
    { class: "plain" },
    differences.map((d) => h("li", {}, h("code", {}, d.account), d.label ? ` ${d.label}` : "", ` : ${euros(d.before)} → ${euros(d.after)}`)),
  );
}

/** @param {PeriodEntry[]} entries */
function entryTable(entries) {
  return table(
    "Écritures de la période",
    ["Écriture", "État", "Version", "N° MyUnisoft", "Envoyé", "Silae aujourd'hui", "Différences"],
    entries.map((entry) => {
      const [tone, words] = ENTRY_STATES[entry.state] || ["neutral", entry.state];
      return h(
        "tr",
        { class: entry.state === "in_sync" ? "" : "is-different", "data-state": entry.state },
        h("td", {}, entry.label),
        h("td", {}, badge(tone, words)),
        h("td", { class: "number" }, entry.version === null ? "—" : String(entry.version)),
        h("td", {}, entry.entryId === null ? "—" : h("code", {}, String(entry.entryId))),
        h("td", { class: "number" }, totalsText(entry.posted)),
        h("td", { class: "number" }, totalsText(entry.current)),
        h("td", {}, differenceList(entry.differences)),
      );
    }),
    "Aucune écriture pour cette période.",
  );
}

/** @param {import("../main.js").Screen} screen */
export async function renderPeriods({ main, params, signal }) {
  const dossierId = params[0];
  const path = `/dossiers/${seg(dossierId)}`;
  dossierLoading(main);
  const dossier = await get(path, signal);
  const wanted = dossier.last_synced_period || dossier.pending_period;
  const months = closedPeriods(24);
  const month = h(
    "select",
    { name: "period" },
    (months.includes(wanted) ? months : [wanted, ...months]).map((value) => h("option", { value, selected: value === wanted }, period(value))),
  );
  const live = h("input", { type: "checkbox" });
  const show = h("button", { type: "submit", class: "button" }, "Afficher");
  const output = h("div", { "data-output": "period" });
  const form = h(
    "form",
    { class: "toolbar", novalidate: true },
    field("Période", month),
    field("Vérifier maintenant dans Silae et MyUnisoft", live),
    h("div", { class: "actions" }, show),
  );

  const load = () =>
    runAction(show, output, live.checked ? "Lecture de Silae et de MyUnisoft…" : "Chargement de la période…", async () => {
      const chosen = month.value;
      const answer = await get(`${path}/periods/${seg(chosen)}${live.checked ? "?live=true" : ""}`, signal);
      return periodView(chosen, answer);
    });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });

  /**
   * @param {string} chosen
   * @param {any} answer
   */
  const periodView = (chosen, answer) => {
    const entries = (answer.entries || []).map(readEntry);
    const toReplace = entries.filter((/** @type {PeriodEntry} */ entry) => REPLACEABLE.has(entry.state));
    const replace = h("button", { type: "button", class: "button button--danger" }, "Remplacer");
    const replaceOutput = h("div", { "data-output": "replace" });
    replace.addEventListener("click", () => confirmReplace(chosen, toReplace, replace, replaceOutput));
    return [
      answer.diagnoses?.length ? diagnosisList(answer.diagnoses) : null,
      h("p", { class: "lead" }, `${period(chosen)} : ${entries.length} écriture(s), ${toReplace.length} à remplacer.`),
      h(
        "p",
        { class: "muted", "data-checked": answer.checked_at ? "yes" : "no" },
        answer.checked_at
          ? `Comparé à Silae et MyUnisoft le ${dateTime(answer.checked_at)}${answer.live ? " (à l'instant)" : ""}.`
          : "Pas encore comparé à Silae et MyUnisoft : cochez « Vérifier maintenant » pour le faire.",
      ),
      entryTable(entries),
      toReplace.length
        ? h("div", { class: "actions" }, replace, h("p", { class: "muted" }, "Annule la version envoyée puis envoie la version actuelle de Silae, une seule fois."))
        : null,
      replaceOutput,
    ];
  };

  /**
   * @param {string} chosen
   * @param {PeriodEntry[]} toReplace
   * @param {HTMLButtonElement} button
   * @param {HTMLElement} replaceOutput
   */
  const confirmReplace = async (chosen, toReplace, button, replaceOutput) => {
    let preview;
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    replaceOutput.replaceChildren(loading("Préparation de l'aperçu du remplacement…"));
    try {
      preview = await send("POST", `${path}/sync`, { period: chosen, replace: true, dry_run: true }, signal);
    } catch (error) {
      replaceOutput.replaceChildren(errorBox(error));
      return;
    } finally {
      button.removeAttribute("aria-busy");
    }
    replaceOutput.replaceChildren();
    const sure = await confirmDialog(
      `Remplacer les écritures de ${period(chosen)} ?`,
      [
        h("p", {}, "Ce qui diffère entre ce qui a été envoyé et Silae aujourd'hui :"),
        entryTable(toReplace),
        h("p", {}, "Ce qui sera envoyé à MyUnisoft (annulations puis nouvelles versions) :"),
        dryRunView(preview),
      ],
      "Remplacer",
    );
    if (!sure) return;
    await runAction(button, replaceOutput, "Demande du remplacement…", async () => {
      const { data: accepted } = await call("POST", `${path}/sync`, { body: { period: chosen, replace: true }, signal });
      const follow = h("div", {});
      replaceOutput.replaceChildren(follow);
      await followRun(accepted.run_id, follow, signal);
      return [...follow.childNodes];
    });
  };

  fill(
    main,
    dossierHeader(dossierId, dossier.name, "/periodes"),
    panel(
      "Une période, écriture par écriture",
      h("p", { class: "muted" }, "Ce qui a été envoyé à MyUnisoft, comparé à Silae aujourd'hui : une OD modifiée dans Silae après son envoi se remplace ici."),
      form,
      output,
    ),
  );
  load();
}
