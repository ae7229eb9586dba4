// Pieces every screen uses: the API's errors as it says them, activity, diagnoses, connection checks,
// labelled fields, confirmations.

import { ApiError, isAbort } from "./api.js";
import { fill, h, uid } from "./dom.js";
import { badge } from "./status.js";

/** @typedef {import("./dom.js").Children} Children */
/** @typedef {import("./types.js").Diagnosis} Diagnosis */
/** @typedef {import("./types.js").ConnectionReport} ConnectionReport */

/** What the API (API Gateway, and the functions) answers for a route it does not have. */
const ROUTE_MISSING = "Cette route n'existe pas.";

/**
 * An error as the API said it: its French message, then each field at fault.
 * @param {unknown} error
 */
export function errorBox(error) {
  const known = error instanceof ApiError;
  const message = known || error instanceof Error ? error.message : String(error);
  const details = known ? error.details : [];
  return h(
    "div",
    { class: "alert alert--error", role: "alert" },
    h("p", { class: "alert__title" }, message),
    details.length
      ? h(
          "ul",
          { class: "alert__details" },
          details.map((detail) => h("li", {}, h("code", {}, detail.field), " : ", detail.message)),
        )
      : null,
    known && error.status === 404 && error.message === ROUTE_MISSING
      ? h("p", {}, "Cette fonction n'est pas encore proposée par l'API de ce déploiement de paysync.")
      : null,
    known && error.status ? h("p", { class: "alert__code" }, `Code : ${error.code} (HTTP ${error.status})`) : null,
  );
}

/**
 * Something is under way.
 * @param {string} text
 */
export function loading(text) {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/**
 * Run `work` with `button` marked busy (a second press does nothing), showing what `work` returns, or
 * its error, in `output`. The button is not disabled: the keyboard's focus stays on it.
 * @param {HTMLButtonElement} button
 * @param {Element} output
 * @param {string} busyText
 * @param {() => Promise<Children>} work
 */
export async function runAction(button, output, busyText, work) {
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  button.setAttribute("aria-disabled", "true");
  output.replaceChildren(loading(busyText));
  try {
    fill(output, await work());
  } catch (error) {
    if (isAbort(error)) return;
    output.replaceChildren(errorBox(error));
  } finally {
    button.removeAttribute("aria-busy");
    button.removeAttribute("aria-disabled");
  }
}

/**
 * A diagnosis: its code, message and what to do.
 * @param {Diagnosis} diagnosis
 */
export function diagnosisItem(diagnosis) {
  return h(
    "li",
    { class: "diagnosis" },
    h("p", { class: "diagnosis__message" }, h("span", { class: "code" }, diagnosis.code), " ", diagnosis.message),
    diagnosis.remedy ? h("p", { class: "diagnosis__remedy" }, h("strong", {}, "Que faire : "), diagnosis.remedy) : null,
  );
}

/** @param {Diagnosis[]} diagnoses */
export function diagnosisList(diagnoses) {
  return h("ul", { class: "diagnoses" }, diagnoses.map(diagnosisItem));
}

/** @type {Record<string, [import("./status.js").Tone, string]>} */
const CHECK_RESULTS = { ok: ["ok", "Réussi"], failed: ["error", "Échec"], skipped: ["neutral", "Non vérifié"] };

/**
 * « Tester la connexion »: each check in order, its result, message and remedy as the API returns them.
 * @param {ConnectionReport} report
 */
export function checkList(report) {
  const failed = report.checks.some((check) => check.status === "failed");
  return h(
    "div",
    { class: "checks" },
    failed
      ? h("p", { class: "alert alert--error", role: "status" }, "La connexion ne fonctionne pas encore : voir les vérifications en échec.")
      : h(
          "p",
          { class: "alert alert--ok", role: "status" },
          report.ok ? "La connexion fonctionne : toutes les vérifications ont réussi." : "Aucune vérification n'a échoué ; celles marquées « Non vérifié » n'ont pas pu être faites.",
        ),
    h(
      "ol",
      { class: "checks__list" },
      report.checks.map((check) => {
        const [tone, words] = CHECK_RESULTS[check.status] || ["neutral", check.status];
        return h(
          "li",
          { class: `check check--${check.status}`, "data-check": check.id },
          h("div", { class: "check__head" }, badge(tone, words), h("strong", {}, check.label), check.code ? h("span", { class: "code" }, check.code) : null),
          h("p", {}, check.message),
          check.remedy ? h("p", { class: "diagnosis__remedy" }, h("strong", {}, "Que faire : "), check.remedy) : null,
        );
      }),
    ),
  );
}

/**
 * A labelled control (the label names it for screen readers; the hint is tied to it too).
 * @param {string} label
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  const id = control.id || uid("champ");
  control.id = id;
  let hintElement = null;
  if (hint) {
    hintElement = h("p", { class: "field__hint", id: `${id}-aide` }, hint);
    control.setAttribute("aria-describedby", `${id}-aide`);
  }
  const isBox = control instanceof HTMLInputElement && control.type === "checkbox";
  return isBox
    ? h("div", { class: "field field--check" }, control, h("label", { for: id }, label), hintElement)
    : h("div", { class: "field" }, h("label", { for: id }, label), control, hintElement);
}

/**
 * A section of a screen, with its heading.
 * @param {string} title
 * @param {...Children} children
 */
export function panel(title, ...children) {
  const id = uid("section");
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

/**
 * A modal confirmation (the native dialog keeps the focus inside and closes on Échap).
 * @param {string} title
 * @param {Children} body
 * @param {string} confirmLabel
 * @returns {Promise<boolean>}
 */
export function confirmDialog(title, body, confirmLabel) {
  return new Promise((resolve) => {
    const titleId = uid("dialogue");
    const cancel = h("button", { type: "button", class: "button button--secondary" }, "Annuler");
    const confirm = h("button", { type: "button", class: "button button--danger" }, confirmLabel);
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title),
      h("div", { class: "dialog__body" }, body),
      h("div", { class: "actions" }, cancel, confirm),
    );
    /** @param {boolean} answer */
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(false));
    confirm.addEventListener("click", () => close(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/**
 * A table inside a container that scrolls sideways on narrow screens; with `cards`, each line becomes a
 * card there instead, every cell labelled with its column's heading.
 * @param {string} caption
 * @param {string[]} headings
 * @param {HTMLTableRowElement[]} rows
 * @param {string} [empty] said when there is no row
 * @param {{cards?: boolean}} [options]
 */
export function table(caption, headings, rows, empty = "Aucune ligne.", options = {}) {
  if (options.cards) {
    for (const row of rows) {
      [...row.cells].forEach((cell, index) => {
        if (!cell.hasAttribute("colspan") && headings[index]) cell.dataset.label = headings[index];
      });
    }
  }
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h(
      "table",
      { class: options.cards ? "table--cards" : null },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headings.map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headings.length, class: "empty" }, empty))),
    ),
  );
}
