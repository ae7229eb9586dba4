// « Tableau de bord »: every dossier of the firm on one line, with its status in words, its last run,
// its next retrieval and what blocks it; counts per status, search, a filter; and a banner when a
// payroll secret expires within 60 days or has expired.
//
// The API has no firm-wide status route: each dossier's status panel is asked for, a few at a time
// (the stage is throttled; a 429 on a read is retried by api.js), and each line fills in as it comes.

import { ApiError, get, isAbort, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { dateTime, day, daysUntil, period, plural } from "../format.js";
import { STATUSES, runStatusLabel, statusBadge, statusOf } from "../status.js";
import { errorBox, field, loading, table } from "../ui.js";

/** @typedef {import("../types.js").Dossier} Dossier */
/** @typedef {import("../types.js").Firm} Firm */
/** @typedef {import("../types.js").SyncStatus} SyncStatus */
/** @typedef {import("../types.js").PayrollCredentials} PayrollCredentials */
/** @typedef {{key: string, found: SyncStatus} | {error: unknown}} Line */

const AT_ONCE = 4;
const WARN_DAYS = 60;

/**
 * @template T
 * @param {T[]} items
 * @param {(item: T) => Promise<void>} work
 */
async function fewAtATime(items, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, items.length) }, worker));
}

/**
 * Secrets that expire within 60 days, or have: the firm's and each dossier's own.
 * @param {Firm} firm
 * @param {Dossier[]} dossiers
 */
export function expiryBanner(firm, dossiers) {
  /** @type {{whose: string, credentials: PayrollCredentials, href: string, linkText: string}[]} */
  const secrets = [];
  if (firm.payroll) secrets.push({ whose: "du cabinet", credentials: firm.payroll, href: "#/cabinet", linkText: "Renouveler dans « Cabinet »" });
  for (const dossier of dossiers) {
    if (dossier.payroll_override) {
      secrets.push({
        whose: `du dossier « ${dossier.name} »`,
        credentials: dossier.payroll_override,
        href: `#/dossiers/${seg(dossier.dossier_id)}/parametres`,
        linkText: `Renouveler dans les paramètres de « ${dossier.name} »`,
      });
    }
  }
  const items = secrets
    .map((secret) => ({ ...secret, days: daysUntil(secret.credentials.secret_expires_on) }))
    .filter((secret) => secret.days <= WARN_DAYS)
    .sort((a, b) => a.days - b.days);
  if (!items.length) return null;
  const expired = items.some((item) => item.days < 0);
  return h(
    "div",
    { class: `alert ${expired ? "alert--error" : "alert--warn"} banner`, role: "alert", "data-banner": "expiry" },
    h("p", { class: "alert__title" }, expired ? "Un secret Client Silae a expiré" : "Un secret Client Silae expire bientôt"),
    h(
      "ul",
      { class: "plain" },
      items.map((item) =>
        h(
          "li",
          {},
          item.days < 0
            ? `Le secret Client de l'API Silae ${item.whose} a expiré le ${day(item.credentials.secret_expires_on)} : plus aucune OD de paie ne peut être récupérée. `
            : `Le secret Client de l'API Silae ${item.whose} expire dans ${plural(item.days, "jour", "jours")} (le ${day(item.credentials.secret_expires_on)}). `,
          h("a", { href: item.href }, item.linkText),
        ),
      ),
    ),
  );
}

/**
 * @param {Dossier} dossier
 * @param {Line | undefined} line
 */
function row(dossier, line) {
  const id = seg(dossier.dossier_id);
  const identity = [dossier.dossier_id, dossier.payroll_dossier_number && `paie ${dossier.payroll_dossier_number}`, dossier.society_id && `société ${dossier.society_id}`]
    .filter(Boolean)
    .join(" · ");
  const name = h("td", {}, h("a", { href: `#/dossiers/${id}`, class: "strong-link", "data-focus": `dossier-${dossier.dossier_id}` }, dossier.name), h("p", { class: "muted small" }, identity));
  const next = h("td", {}, dossier.auto_pull ? day(dossier.next_due) : h("span", { class: "muted" }, "Récupération automatique désactivée"));
  if (!line) {
    return h("tr", { "data-dossier": dossier.dossier_id }, name, h("td", {}, h("span", { class: "muted" }, "Lecture…")), h("td", {}), next, h("td", {}));
  }
  if ("error" in line) {
    const message = line.error instanceof Error ? line.error.message : String(line.error);
    return h("tr", { "data-dossier": dossier.dossier_id }, name, h("td", { colspan: "4" }, h("p", { class: "error-text" }, message)));
  }
  const found = line.found;
  const last = found.last_sync;
  const blocking = [...(found.blocking || []), ...(found.findings || [])];
  const first = blocking[0];
  return h(
    "tr",
    { "data-dossier": dossier.dossier_id, "data-status": line.key },
    name,
    h("td", {}, statusBadge(line.key)),
    h("td", {}, last ? [dateTime(last.finished_at), h("p", { class: "muted small" }, `${period(last.period)} — ${runStatusLabel(last.status)}`)] : h("span", { class: "muted" }, "Jamais")),
    next,
    h(
      "td",
      { class: "blocking wide" },
      first
        ? [
            h("p", {}, h("span", { class: "code" }, first.code), " ", first.message),
            h("p", { class: "diagnosis__remedy" }, h("strong", {}, "Que faire : "), first.remedy),
            blocking.length > 1 ? h("p", { class: "muted small" }, `et ${plural(blocking.length - 1, "autre diagnostic", "autres diagnostics")} : voir le dossier`) : null,
          ]
        : h("span", { class: "muted" }, "—"),
    ),
  );
}

/**
 * @param {string} text
 */
function normalize(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

/** @param {import("../main.js").Screen} screen */
export async function renderDashboard({ main, signal, firmId }) {
  document.title = "Tableau de bord — paysync";
  fill(main, h("h1", {}, "Tableau de bord"), loading("Chargement des dossiers…"));
  /** @type {[Firm, {dossiers: Dossier[]}]} */
  const [firm, list] = await Promise.all([get(`/firms/${seg(firmId)}`, signal), get(`/firms/${seg(firmId)}/dossiers`, signal)]);
  const dossiers = [...list.dossiers].sort((a, b) => a.name.localeCompare(b.name, "fr"));
  /** @type {Map<string, Line>} */
  const lines = new Map();

  const search = h("input", { type: "search", placeholder: "Nom, identifiant, n° de paie…", autocomplete: "off" });
  const filter = h("select", {});
  const counts = h("ul", { class: "counts", "aria-label": "Nombre de dossiers par statut" });
  const body = h("div", {});
  const shown = h("p", { class: "muted", role: "status", "aria-live": "polite" });

  const draw = () => {
    // Lines fill in while the user may be on one of them: the focus stays where it was.
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.focus : undefined;
    const wanted = filter.value;
    const words = normalize(search.value.trim());
    /** @type {Record<string, number>} */
    const perStatus = {};
    for (const line of lines.values()) if ("key" in line) perStatus[line.key] = (perStatus[line.key] || 0) + 1;
    const visible = dossiers.filter((dossier) => {
      const line = lines.get(dossier.dossier_id);
      if (wanted && !(line && "key" in line && line.key === wanted)) return false;
      const haystack = normalize([dossier.name, dossier.dossier_id, dossier.payroll_dossier_number, dossier.society_id].join(" "));
      return !words || haystack.includes(words);
    });
    fill(
      counts,
      h("li", {}, h("button", { type: "button", class: "count", "aria-pressed": String(!wanted), "data-focus": "count-all", onclick: () => choose("") }, h("span", { class: "count__number" }, String(dossiers.length)), " ", "Tous")),
      Object.keys(STATUSES).filter((key) => perStatus[key]).map((key) =>
        h(
          "li",
          {},
          h("button", { type: "button", class: "count", "aria-pressed": String(wanted === key), "data-count": key, "data-focus": `count-${key}`, onclick: () => choose(key) }, h("span", { class: "count__number" }, String(perStatus[key])), " ", statusBadge(key)),
        ),
      ),
    );
    const previous = filter.value;
    fill(
      filter,
      h("option", { value: "" }, "Tous les statuts"),
      Object.entries(STATUSES).map(([key, status]) => h("option", { value: key }, `${status.label} (${perStatus[key] || 0})`)),
    );
    filter.value = previous;
    shown.textContent = `${plural(visible.length, "dossier affiché", "dossiers affichés")} sur ${dossiers.length}.`;
    fill(
      body,
      table(
        "Dossiers du cabinet",
        ["Dossier", "Statut", "Dernière synchronisation", "Prochaine récupération", "Ce qui bloque et que faire"],
        visible.map((dossier) => row(dossier, lines.get(dossier.dossier_id))),
        dossiers.length ? "Aucun dossier ne correspond à la recherche." : "Aucun dossier pour l'instant : lancez la Découverte pour les créer.",
        { cards: true },
      ),
    );
    if (focused) /** @type {HTMLElement | null} */ (main.querySelector(`[data-focus="${CSS.escape(focused)}"]`))?.focus();
  };
  /** @param {string} key */
  const choose = (key) => {
    filter.value = key;
    draw();
  };
  search.addEventListener("input", draw);
  filter.addEventListener("change", draw);

  fill(
    main,
    h("h1", {}, "Tableau de bord"),
    h("p", { class: "lead" }, `${firm.name} — ${plural(dossiers.length, "dossier", "dossiers")}.`),
    expiryBanner(firm, dossiers),
    counts,
    h("div", { class: "toolbar" }, field("Rechercher un dossier", search), field("Filtrer par statut", filter)),
    shown,
    body,
  );
  draw();
  await fewAtATime(dossiers, async (dossier) => {
    if (signal.aborted) return;
    try {
      /** @type {SyncStatus} */
      const found = await get(`/dossiers/${seg(dossier.dossier_id)}/status`, signal);
      lines.set(dossier.dossier_id, { key: statusOf(found), found });
    } catch (error) {
      if (isAbort(error) || signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) throw error;
      lines.set(dossier.dossier_id, { error });
    }
    if (!signal.aborted) draw();
  }).catch((error) => {
    if (!isAbort(error)) fill(body, errorBox(error));
  });
}
