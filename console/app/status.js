// A dossier's status in the words firm staff use, from the API's status panel (GET /dossiers/{id}/status),
// and the badges that show it: colour and words together, never colour alone.

import { h } from "./dom.js";

/** @typedef {import("./types.js").SyncStatus} SyncStatus */
/** @typedef {"ok" | "warn" | "error" | "neutral" | "info" | "changed" | "progress"} Tone */

/** @type {Record<string, {label: string, tone: Tone}>} */
export const STATUSES = {
  up_to_date: { label: "À jour", tone: "ok" },
  blocked: { label: "Bloqué", tone: "warn" },
  failed: { label: "En échec", tone: "error" },
  waiting: { label: "En attente", tone: "neutral" },
  payroll_not_closed: { label: "Paie non clôturée", tone: "info" },
  changed_in_silae: { label: "Modifiée dans Silae", tone: "changed" },
  in_progress: { label: "En cours", tone: "progress" },
};

/** Diagnoses that name the status themselves (The books stay true to Silae): what blocks the last
 * sync, then what the watch of a synced period found. */
const BY_CODE = /** @type {Record<string, string>} */ ({
  "PAIE-MODIFIEE": "changed_in_silae",
  "PAIE-NON-CLOTUREE": "payroll_not_closed",
});

/**
 * The console's status of a dossier.
 * @param {SyncStatus} found
 * @returns {string} a key of STATUSES
 */
export function statusOf(found) {
  if (found.active_run || found.state === "in_progress") return "in_progress";
  for (const diagnosis of [...(found.blocking || []), ...(found.findings || [])]) {
    if (BY_CODE[diagnosis.code]) return BY_CODE[diagnosis.code];
  }
  if (found.state in STATUSES) {
    if (found.state === "blocked" && found.last_sync?.status === "failed") return "failed";
    return found.state;
  }
  return "waiting"; // never_synced: waiting for its first run
}

/**
 * @param {string} key a key of STATUSES
 */
export function statusBadge(key) {
  const status = STATUSES[key] || { label: key, tone: "neutral" };
  return h("span", { class: `badge badge--${status.tone}`, "data-status": key }, status.label);
}

/** @type {Record<string, {label: string, tone: Tone}>} */
const RUN_STATUSES = {
  queued: { label: "En file d'attente", tone: "progress" },
  running: { label: "En cours", tone: "progress" },
  retrying: { label: "Nouvel essai prévu", tone: "progress" },
  succeeded: { label: "Réussie", tone: "ok" },
  partial: { label: "Partielle", tone: "warn" },
  blocked: { label: "Bloquée", tone: "warn" },
  no_data: { label: "Rien à importer", tone: "neutral" },
  failed: { label: "En échec", tone: "error" },
};

/** @param {string} status a run's status */
export function runStatusLabel(status) {
  return RUN_STATUSES[status]?.label || status;
}

/** @param {string} status a run's status */
export function runBadge(status) {
  const found = RUN_STATUSES[status] || { label: status, tone: "neutral" };
  return h("span", { class: `badge badge--${found.tone}` }, found.label);
}

/**
 * A badge from a tone and words (account states, check results, bulk results…).
 * @param {Tone} tone
 * @param {string} words
 */
export function badge(tone, words) {
  return h("span", { class: `badge badge--${tone}` }, words);
}
