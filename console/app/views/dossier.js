// A dossier's « Synchronisation » page: its status, « Tester la connexion », « Synchroniser maintenant »
// and « Aperçu (sans envoi) » (a progress indicator follows the run to its end), then its runs as a chart
// per month and as a table.

import { call, get, send, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { closedPeriods, euros, period } from "../format.js";
import { followRun, runChart, runTable } from "../runs.js";
import { statusBadge, statusOf } from "../status.js";
import { checkList, diagnosisList, errorBox, field, panel, runAction, table } from "../ui.js";
import { dossierHeader, dossierLoading } from "./dossier-header.js";

/** @typedef {import("../types.js").Dossier} Dossier */
/** @typedef {import("../types.js").SyncStatus} SyncStatus */
/** @typedef {import("../types.js").Run} Run */
/** @typedef {import("../types.js").DryRunReport} DryRunReport */
/** @typedef {import("../types.js").RunAccepted} RunAccepted */

/** @param {SyncStatus} status */
function statusPanel(status) {
  return panel(
    "État de la synchronisation",
    h("p", { class: "summary" }, status.summary),
    status.blocking.length ? [h("h3", {}, "Ce qui bloque"), diagnosisList(status.blocking)] : null,
    status.findings?.length ? [h("h3", {}, "Comptabilité à vérifier"), diagnosisList(status.findings)] : null,
    status.entries_waiting.length
      ? table(
          "Écritures en attente",
          ["Écriture", "Débit", "Crédit", "Pourquoi"],
          status.entries_waiting.map((entry) =>
            h(
              "tr",
              {},
              h("td", {}, entry.label),
              h("td", { class: "number" }, euros(entry.debit)),
              h("td", { class: "number" }, euros(entry.credit)),
              h("td", {}, entry.diagnoses.map((d) => h("p", {}, h("span", { class: "code" }, d.code), " ", d.message))),
            ),
          ),
        )
      : null,
  );
}

/** @param {DryRunReport} report */
export function dryRunView(report) {
  return h(
    "div",
    { class: "dry-run" },
    h("p", { class: "alert alert--info" }, `Aperçu de ${period(report.period)} : rien n'a été envoyé à MyUnisoft ni enregistré.`),
    report.diagnoses.length ? diagnosisList(report.diagnoses) : null,
    table(
      "Écritures qui seraient envoyées",
      ["Écriture", "Résultat", "Débit", "Crédit", "Pièces jointes", "Diagnostics"],
      report.entries.map((entry) =>
        h(
          "tr",
          {},
          h("td", {}, entry.label),
          h("td", {}, entry.status === "blocked" ? h("span", { class: "badge badge--warn" }, "Bloquée") : h("span", { class: "badge badge--ok" }, "Serait envoyée")),
          h("td", { class: "number" }, euros(entry.debit)),
          h("td", { class: "number" }, euros(entry.credit)),
          h("td", {}, entry.files.length ? entry.files.map((file) => h("p", {}, `${file.name} (${Math.max(1, Math.round(file.size / 1024))} Ko)`)) : "—"),
          h("td", {}, entry.diagnoses.length ? entry.diagnoses.map((d) => h("p", {}, h("span", { class: "code" }, d.code), " ", d.message, h("br"), h("span", { class: "muted" }, d.remedy))) : "—"),
        ),
      ),
      "Aucune écriture pour cette période.",
    ),
  );
}

/** @param {import("../main.js").Screen} screen */
export async function renderDossier({ main, params, signal }) {
  const dossierId = params[0];
  const path = `/dossiers/${seg(dossierId)}`;
  dossierLoading(main);
  /** @type {[Dossier, SyncStatus, {runs: Run[]}]} */
  const [dossier, status, history] = await Promise.all([
    get(path, signal),
    get(`${path}/status`, signal),
    get(`${path}/runs?limit=100`, signal),
  ]);

  const statusArea = h("div", {}, statusPanel(status));
  const historyArea = h("div", {});
  const badgeArea = h("span", {}, statusBadge(statusOf(status)));
  /** @param {Run[]} runs */
  const drawHistory = (runs) =>
    fill(historyArea, panel("Synchronisations par mois", runChart(runs)), panel("Historique", runTable(runs)));
  drawHistory(history.runs);
  const refresh = async () => {
    /** @type {[SyncStatus, {runs: Run[]}]} */
    const [fresh, runs] = await Promise.all([get(`${path}/status`, signal), get(`${path}/runs?limit=100`, signal)]);
    fill(statusArea, statusPanel(fresh));
    fill(badgeArea, statusBadge(statusOf(fresh)));
    drawHistory(runs.runs);
  };

  const month = h(
    "select",
    { name: "period" },
    h("option", { value: "" }, "Dernier mois clôturé"),
    closedPeriods(24).map((value) => h("option", { value }, period(value))),
  );
  const testButton = h("button", { type: "button", class: "button button--secondary" }, "Tester la connexion");
  const syncButton = h("button", { type: "button", class: "button" }, "Synchroniser maintenant");
  const previewButton = h("button", { type: "button", class: "button button--secondary" }, "Aperçu (sans envoi)");
  const testOutput = h("div", { "data-output": "connection" });
  const syncOutput = h("div", { "data-output": "sync" });
  const chosenPeriod = () => (month.value ? { period: month.value } : {});

  testButton.addEventListener("click", () =>
    runAction(testButton, testOutput, "Vérifications en cours (Silae puis MyUnisoft)…", async () =>
      checkList(await send("POST", `${path}/test-connection`, undefined, signal)),
    ),
  );
  previewButton.addEventListener("click", () =>
    runAction(previewButton, syncOutput, "Préparation de l'aperçu (lecture de Silae et de MyUnisoft)…", async () =>
      dryRunView(await send("POST", `${path}/sync`, { dry_run: true, ...chosenPeriod() }, signal)),
    ),
  );
  syncButton.addEventListener("click", () =>
    runAction(syncButton, syncOutput, "Demande de synchronisation…", async () => {
      /** @type {{data: RunAccepted}} */
      const { data: accepted } = await call("POST", `${path}/sync`, { body: chosenPeriod(), signal });
      const note = accepted.created ? null : h("p", { class: "alert alert--info" }, "Une synchronisation de cette période était déjà en cours : elle est suivie ci-dessous.");
      const follow = h("div", {});
      syncOutput.replaceChildren(...[note, follow].filter((x) => x !== null));
      await followRun(accepted.run_id, follow, signal);
      await refresh().catch((error) => statusArea.append(errorBox(error)));
      return [note, ...follow.childNodes];
    }),
  );

  fill(
    main,
    dossierHeader(dossierId, dossier.name, "", badgeArea),
    statusArea,
    panel(
      "Actions",
      h("p", { class: "muted" }, "La synchronisation est mise en file comme celle de la nuit ; jamais deux fois la même écriture."),
      h("div", { class: "toolbar" }, field("Période", month)),
      h("div", { class: "actions" }, testButton, syncButton, previewButton),
      testOutput,
      syncOutput,
    ),
    historyArea,
  );
  if (status.active_run) {
    syncButton.setAttribute("aria-busy", "true");
    followRun(status.active_run.run_id, syncOutput, signal)
      .then(refresh)
      .catch((error) => {
        if (!signal.aborted) syncOutput.replaceChildren(errorBox(error));
      })
      .finally(() => {
        syncButton.removeAttribute("aria-busy");
      });
  }
}
