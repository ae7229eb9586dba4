// The head every dossier screen shares: the way back, the dossier's name (and status), its tabs.

import { fill, h } from "../dom.js";
import { seg } from "../api.js";
import { loading } from "../ui.js";

const TABS = /** @type {const} */ ([
  ["", "Synchronisation"],
  ["/parametres", "Paramètres"],
  ["/comptes", "Liste des comptes"],
  ["/periodes", "Périodes"],
]);

/** The way back to the dashboard (also above an error that replaced a screen). */
export function backToDashboard() {
  return h("p", { class: "breadcrumb" }, h("a", { href: "#/" }, "← Tableau de bord"));
}

/**
 * A dossier screen while its data loads.
 * @param {HTMLElement} main
 */
export function dossierLoading(main) {
  fill(main, backToDashboard(), loading("Chargement du dossier…"));
}

/**
 * @param {string} dossierId
 * @param {string} name
 * @param {string} current the tab's suffix ("" for Synchronisation)
 * @param {Node | null} [badge]
 */
export function dossierHeader(dossierId, name, current, badge = null) {
  const base = `#/dossiers/${seg(dossierId)}`;
  const title = TABS.find(([suffix]) => suffix === current)?.[1] || "";
  document.title = `${name} — ${title} — paysync`;
  return h(
    "div",
    { class: "dossier-head" },
    backToDashboard(),
    h("div", { class: "page-head" }, h("h1", {}, name), badge),
    h(
      "nav",
      { "aria-label": "Pages du dossier" },
      h(
        "ul",
        { class: "tabs" },
        TABS.map(([suffix, label]) =>
          h("li", {}, h("a", { href: base + suffix, "aria-current": suffix === current ? "page" : null }, label)),
        ),
      ),
    ),
  );
}
