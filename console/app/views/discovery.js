// « Découverte »: run the discovery (POST /firms/{id}/discovery), review each proposal (how it was
// matched, ambiguous ones to choose), accept a selection in one bulk call and see each item's result.
//
// The discovery's answer is the API's DiscoveryView ("Onboarding by discovery", issue 14): proposals
// {payroll_dossier_number, payroll_name, society_id, society_name, how: siren|name|ambiguous|none,
// confidence, candidates, configured_dossier_id, conflicts}, the payroll dossiers and societies listed,
// the closed payroll dossiers, and each side's diagnoses. The bulk creation (BULK_PATH, {defaults,
// items}) answers {counts, results}, one result per item in order: {index, dossier_id, result: created,
// updated, unchanged, conflict, invalid or failed, message, details}.

import { ApiError, send, seg } from "../api.js";
import { fill, h, uid } from "../dom.js";
import { emails } from "../credentials.js";
import { plural } from "../format.js";
import { badge } from "../status.js";
import { diagnosisList, field, panel, runAction, table } from "../ui.js";

/** @typedef {import("../types.js").Diagnosis} Diagnosis */
/** @typedef {{number: string, name: string, siret: string | null}} PayrollDossier */
/** @typedef {{id: number, name: string, siret: string | null, city: string | null}} Society */
/**
 * @typedef {object} Proposal
 * @property {PayrollDossier} payroll
 * @property {Society | null} society the society proposed (siren, name)
 * @property {string} how
 * @property {number | null} confidence
 * @property {Society[]} candidates the societies to choose from (ambiguous)
 * @property {string | null} configured the paysync dossier already tying this pair
 * @property {string[]} conflicts paysync dossiers tying this payroll number to another society
 */

export const BULK_PATH = "/dossiers/bulk";

/** @param {any} raw a payroll dossier as the discovery lists it */
function readPayroll(raw) {
  return /** @type {PayrollDossier} */ ({ number: String(raw.number ?? ""), name: String(raw.name ?? ""), siret: raw.siret || null });
}

/** @param {any} raw a society as the discovery lists it */
function readSociety(raw) {
  return /** @type {Society} */ ({ id: Number(raw.society_id), name: String(raw.name ?? raw.society_name ?? ""), siret: raw.siret || null, city: raw.city || null });
}

/** @param {any} conflict */
function readConflict(conflict) {
  const society = conflict.society_id ? ` à la société ${conflict.society_id}` : "";
  return `Le dossier paysync « ${conflict.dossier_id} » associe déjà ce numéro de paie${society}.`;
}

/**
 * @param {any} raw a proposal
 * @param {Map<string, PayrollDossier>} payrolls the listed payroll dossiers, by number
 * @param {Map<number, Society>} societies the listed societies, by id
 */
export function readProposal(raw, payrolls, societies) {
  const number = String(raw.payroll_dossier_number ?? "");
  /** @param {number} id @param {string | undefined} name @param {string | null | undefined} city */
  const society = (id, name, city) => ({ ...(societies.get(id) || { id, siret: null }), id, name: name || societies.get(id)?.name || "", city: city ?? societies.get(id)?.city ?? null });
  return /** @type {Proposal} */ ({
    payroll: { ...(payrolls.get(number) || { siret: null }), number, name: String(raw.payroll_name ?? payrolls.get(number)?.name ?? "") },
    society: raw.society_id === null || raw.society_id === undefined ? null : society(raw.society_id, raw.society_name, undefined),
    how: String(raw.how ?? "none"),
    confidence: typeof raw.confidence === "number" ? raw.confidence : null,
    candidates: (raw.candidates || []).map((/** @type {any} */ c) => society(c.society_id, c.society_name, c.city)),
    configured: raw.configured_dossier_id ?? null,
    conflicts: (raw.conflicts || []).map(readConflict),
  });
}

/** @type {Record<string, [import("../status.js").Tone, string]>} */
const HOW = {
  siren: ["ok", "SIREN identique"],
  name: ["info", "Même nom"],
  ambiguous: ["warn", "Ambiguë : à choisir"],
  none: ["neutral", "Aucune société trouvée"],
};
/** @type {Record<string, [import("../status.js").Tone, string]>} */
const RESULTS = {
  created: ["ok", "Créé"],
  updated: ["ok", "Mis à jour"],
  unchanged: ["neutral", "Inchangé"],
  conflict: ["warn", "Conflit"],
  invalid: ["error", "Invalide"],
  failed: ["error", "Non traité"],
};

const LEGAL_FORMS = new Set(["sarl", "sas", "sasu", "eurl", "sa", "sci", "snc", "ei", "eirl", "selarl", "selas", "scp"]);

/**
 * A paysync dossier id from a company name, its legal form set aside: « EURL Fleuriste Éléonore » →
 * fleuriste-eleonore.
 * @param {string} name
 */
export function slug(name) {
  const words = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\./g, "")
    .split(/[^a-z0-9]+/)
    .filter((word) => word && !LEGAL_FORMS.has(word));
  return words.join("-").slice(0, 64).replace(/-+$/, "") || "dossier";
}

/** @param {number | null} confidence from 0 to 1 */
function confidenceText(confidence) {
  return confidence === null ? "—" : `${Math.round(confidence * 100)} %`;
}

/** @param {Society} society « LILLE · n° 102 · SIRET 52345678800018 » */
function societyFacts(society) {
  return [society.city, `n° ${society.id}`, society.siret && `SIRET ${society.siret}`].filter(Boolean).join(" · ");
}

/**
 * One line of the review: accept it or not, the society (to choose when ambiguous), the dossier id.
 * @param {Proposal} proposal
 * @param {Society[]} societies every society of the firm (to choose one when none matched)
 */
function reviewLine(proposal, societies) {
  const who = `${proposal.payroll.number} ${proposal.payroll.name}`.trim();
  const accept = h("input", { type: "checkbox", id: uid("retenir"), "aria-label": `Retenir le dossier de paie ${who}` });
  accept.checked = (proposal.how === "siren" || proposal.how === "name") && !proposal.configured && !proposal.conflicts.length;
  const choices = proposal.how === "ambiguous" && proposal.candidates.length ? proposal.candidates : societies;
  /** @type {HTMLSelectElement | null} */
  let choice = null;
  if (proposal.how === "ambiguous" || proposal.how === "none" || !proposal.society) {
    choice = h(
      "select",
      { "aria-label": `Société MyUnisoft pour ${who}` },
      h("option", { value: "" }, "— Choisir une société —"),
      choices.map((society) => h("option", { value: String(society.id) }, `${society.name} — ${societyFacts(society)}`)),
    );
  }
  const suggested = proposal.configured || slug(proposal.society?.name || proposal.payroll.name || proposal.payroll.number);
  const dossierId = h("input", { type: "text", value: suggested, "aria-label": `Identifiant paysync pour ${who}`, spellcheck: "false" });
  const [tone, words] = HOW[proposal.how] || ["neutral", proposal.how];
  const row = h(
    "tr",
    { "data-payroll": proposal.payroll.number, "data-how": proposal.how },
    h("td", {}, accept),
    h("td", {}, h("strong", {}, proposal.payroll.number), ` ${proposal.payroll.name}`, proposal.payroll.siret ? h("p", { class: "muted small" }, `SIRET ${proposal.payroll.siret}`) : null),
    h("td", {}, choice || (proposal.society ? [proposal.society.name, h("p", { class: "muted small" }, societyFacts(proposal.society))] : "—")),
    h("td", {}, badge(tone, words)),
    h("td", { class: "number" }, confidenceText(proposal.confidence)),
    h(
      "td",
      {},
      proposal.configured ? h("p", {}, "Déjà configuré : ", h("a", { href: `#/dossiers/${seg(proposal.configured)}` }, proposal.configured)) : null,
      proposal.conflicts.map((text) => h("p", { class: "error-text" }, text)),
      dossierId,
    ),
  );
  return {
    row,
    proposal,
    /** @returns {{dossier_id: string, name: string, society_id: number, payroll_dossier_number: string} | null} */
    item() {
      if (!accept.checked) return null;
      const societyId = choice ? Number(choice.value) : proposal.society?.id;
      if (!societyId) throw new ApiError(0, "choice", `Choisissez la société MyUnisoft du dossier de paie ${who}, ou décochez-le.`);
      const chosen = choice ? choices.find((society) => society.id === societyId) : proposal.society;
      return { dossier_id: dossierId.value.trim(), name: chosen?.name || proposal.payroll.name, society_id: societyId, payroll_dossier_number: proposal.payroll.number };
    },
  };
}

/** @param {any} answer the bulk's answer */
export function readResults(answer) {
  const items = answer?.results ?? [];
  return items.map((/** @type {any} */ item, /** @type {number} */ position) => ({
    // An item the API could not read has no dossier id: it is named by its place in the request.
    dossierId: item.dossier_id ? String(item.dossier_id) : null,
    position: Number(item.index ?? position) + 1,
    result: String(item.result ?? ""),
    message: item.message ?? null,
    details: Array.isArray(item.details) ? item.details : [],
  }));
}

/** @param {any} answer */
function resultTable(answer) {
  const results = readResults(answer);
  /** @type {Record<string, number>} */
  const counts = answer?.counts || {};
  const summary = Object.keys(RESULTS)
    .filter((result) => counts[result])
    .map((result) => `${RESULTS[result][1]} : ${counts[result]}`)
    .join(" · ");
  return [
    summary ? h("p", { class: "lead", "data-counts": "" }, summary) : null,
    table(
      "Résultat, dossier par dossier",
      ["Dossier", "Résultat", "Précisions"],
      results.map((/** @type {{dossierId: string | null, position: number, result: string, message: string | null, details: {field: string, message: string}[]}} */ item) => {
        const [tone, words] = RESULTS[item.result] || ["neutral", item.result];
        const saved = item.dossierId && ["created", "updated", "unchanged"].includes(item.result);
        return h(
          "tr",
          { "data-result": item.result },
          h("td", {}, saved && item.dossierId ? h("a", { href: `#/dossiers/${seg(item.dossierId)}` }, item.dossierId) : item.dossierId || `Élément n° ${item.position}`),
          h("td", {}, badge(tone, words)),
          h("td", {}, item.message || "—", item.details.map((detail) => h("p", { class: "small" }, h("code", {}, detail.field), ` : ${detail.message}`))),
        );
      }),
      "Aucun dossier traité.",
    ),
  ];
}

/** @param {import("../main.js").Screen} screen */
export async function renderDiscovery({ main, signal, firmId }) {
  document.title = "Découverte — paysync";
  const base = `/firms/${seg(firmId)}`;
  const start = h("button", { type: "button", class: "button" }, "Lancer la découverte");
  const output = h("div", { "data-output": "discovery" });
  start.addEventListener("click", () =>
    runAction(start, output, "Lecture des dossiers de paie (Silae) et des sociétés (MyUnisoft)…", async () => review(await send("POST", `${base}/discovery`, {}, signal))),
  );

  /** @param {any} answer the DiscoveryView */
  const review = (answer) => {
    const payrolls = new Map((answer.payroll_dossiers || []).map((/** @type {any} */ raw) => [String(raw.number), readPayroll(raw)]));
    /** @type {Society[]} */
    const societies = (answer.societies || []).map(readSociety);
    const byId = new Map(societies.map((society) => [society.id, society]));
    const lines = (answer.proposals || []).map((/** @type {any} */ raw) => reviewLine(readProposal(raw, payrolls, byId), societies));
    const closed = answer.closed_payroll_dossiers || [];
    /** @type {{payroll?: Diagnosis[], myunisoft?: Diagnosis[]}} */
    const diagnoses = answer.diagnoses || {};
    const unread = [
      diagnoses.payroll?.length ? [h("h3", {}, "Silae"), diagnosisList(diagnoses.payroll)] : null,
      diagnoses.myunisoft?.length ? [h("h3", {}, "MyUnisoft"), diagnosisList(diagnoses.myunisoft)] : null,
    ].filter(Boolean);
    const runDay = h("input", { type: "number", min: "1", max: "31", step: "1", value: "5" });
    const autoPull = h("input", { type: "checkbox", checked: true });
    const autoCreate = h("input", { type: "checkbox" });
    const contacts = h("textarea", { rows: "2" });
    const accept = h("button", { type: "submit", class: "button" }, "Créer ou mettre à jour les dossiers retenus");
    const results = h("div", { "data-output": "bulk" });
    const form = h(
      "form",
      { novalidate: true, class: "discovery" },
      table(
        "Propositions",
        ["Retenir", "Dossier de paie (Silae)", "Société MyUnisoft", "Correspondance", "Confiance", "Dossier paysync"],
        lines.map((/** @type {{row: HTMLTableRowElement}} */ line) => line.row),
        "Aucun dossier de paie à proposer.",
        { cards: true },
      ),
      h(
        "fieldset",
        {},
        h("legend", {}, "Réglages communs des dossiers retenus"),
        h("div", { class: "form-grid" }, field("Jour de récupération (1 à 31)", runDay), field("Adresses e-mail de contact (une par ligne)", contacts)),
        field("Récupération automatique (« Compta »)", autoPull),
        field("Créer automatiquement les comptes manquants dans MyUnisoft", autoCreate),
      ),
      h("div", { class: "actions" }, accept),
      results,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      runAction(accept, results, "Création des dossiers…", async () => {
        const items = lines.map((/** @type {{item: () => object | null}} */ line) => line.item()).filter(Boolean);
        if (!items.length) throw new ApiError(0, "empty", "Cochez au moins un dossier à créer ou mettre à jour.");
        // Contacts left blank are not sent: an existing dossier keeps its own.
        const typed = emails(contacts.value);
        const defaults = { run_day: Number(runDay.value) || 5, auto_pull: autoPull.checked, auto_create_accounts: autoCreate.checked, ...(typed.length ? { contact_emails: typed } : {}) };
        return resultTable(await send("POST", base + BULK_PATH, { defaults, items }, signal));
      });
    });
    return [
      unread.length ? panel("Ce que la découverte n'a pas pu lire", unread) : null,
      h("p", { class: "lead" }, `${plural(payrolls.size, "dossier de paie ouvert", "dossiers de paie ouverts")}, ${plural(societies.length, "société MyUnisoft", "sociétés MyUnisoft")}, ${plural(lines.length, "proposition", "propositions")}.`),
      panel("Propositions à valider", form),
      closed.length
        ? panel(
            "Dossiers de paie clôturés (non proposés)",
            h(
              "ul",
              { class: "plain" },
              closed.map((/** @type {any} */ raw) =>
                h(
                  "li",
                  { "data-closed": raw.number },
                  h("strong", {}, raw.number),
                  ` ${raw.name}`,
                  raw.configured_dossier_ids?.length ? h("span", { class: "error-text" }, ` — encore lié au dossier paysync ${raw.configured_dossier_ids.join(", ")}`) : null,
                ),
              ),
            ),
          )
        : null,
    ];
  };

  fill(
    main,
    h("h1", {}, "Découverte des dossiers"),
    h("p", { class: "lead" }, "paysync lit les dossiers de paie visibles dans Silae et les sociétés du cabinet dans MyUnisoft, puis propose qui va avec qui : vous validez, tout est créé en une fois."),
    panel("Lancer", h("p", { class: "muted" }, "Avec les identifiants enregistrés du cabinet (page « Cabinet »). Rien n'est créé avant votre validation."), h("div", { class: "actions" }, start)),
    output,
  );
}
