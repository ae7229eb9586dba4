// A dossier's « Liste des comptes » (as in MyUnisoft's seed 004): each payroll account number, its state,
// its MyUnisoft match and suggestions, and the manual link to an existing MyUnisoft account.

import { get, send, seg } from "../api.js";
import { fill, h, uid } from "../dom.js";
import { dateTime } from "../format.js";
import { badge } from "../status.js";
import { errorBox, loading, panel, runAction, table } from "../ui.js";
import { dossierHeader, dossierLoading } from "./dossier-header.js";

/** @typedef {import("../types.js").AccountRow} AccountRow */
/** @typedef {import("../types.js").MyUnisoftAccount} MyUnisoftAccount */

/** @type {Record<string, import("../status.js").Tone>} */
const TONES = { ok: "ok", ok_different_code: "ok", missing: "error", missing_with_suggestions: "warn", deleted: "error" };
/** @type {Record<string, string>} */
const ORIGINS = { found: "trouvé", created: "créé par paysync", manual: "lié à la main" };

/** @param {MyUnisoftAccount | null} account */
function accountText(account) {
  return account ? [h("code", {}, account.account_number), ` ${account.label}`] : h("span", { class: "muted" }, "—");
}

/** @param {import("../main.js").Screen} screen */
export async function renderAccounts({ main, params, signal }) {
  const dossierId = params[0];
  const path = `/dossiers/${seg(dossierId)}`;
  dossierLoading(main);
  const dossier = await get(path, signal);
  const listArea = h("div", {}, loading("Lecture du plan comptable dans MyUnisoft…"));
  const output = h("div", { "data-output": "link" });
  fill(
    main,
    dossierHeader(dossierId, dossier.name, "/comptes"),
    panel(
      "Liste des comptes",
      h("p", { class: "muted" }, "Chaque compte utilisé par la paie, rapproché du plan comptable MyUnisoft du dossier. Un compte sans correspondance bloque les écritures qui l'utilisent : liez-le à un compte existant."),
      output,
      listArea,
    ),
  );

  /**
   * @param {AccountRow} account
   * @param {number} accountId
   * @param {HTMLButtonElement} button
   */
  const link = (account, accountId, button) =>
    runAction(button, output, `Liaison du compte ${account.account_number}…`, async () => {
      /** @type {MyUnisoftAccount} */
      const linked = await send("PUT", `${path}/accounts/${seg(account.account_number)}`, { account_id: accountId }, signal);
      await draw();
      return h("p", { class: "alert alert--ok", role: "status" }, `Le compte de paie ${account.account_number} est lié au compte MyUnisoft ${linked.account_number} (${linked.label}).`);
    });

  /** @param {AccountRow} account */
  const linkCell = (account) => {
    if (account.state === "ok" || account.state === "ok_different_code") return h("span", { class: "muted" }, "—");
    const idInput = h("input", { type: "number", min: "1", step: "1", id: uid("compte"), inputmode: "numeric" });
    const manual = h("button", { type: "submit", class: "button button--secondary button--small" }, "Lier");
    const form = h(
      "form",
      { class: "toolbar", novalidate: true },
      h("label", { for: idInput.id, class: "small" }, `Identifiant du compte MyUnisoft pour ${account.account_number}`),
      idInput,
      manual,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = Number(idInput.value);
      if (!Number.isInteger(value) || value < 1) {
        fill(output, errorBox(new Error("Saisissez l'identifiant (un nombre entier) d'un compte du plan MyUnisoft.")));
        idInput.focus();
        return;
      }
      link(account, value, manual);
    });
    return [
      account.suggestions.map((suggestion) => {
        const button = h(
          "button",
          { type: "button", class: "button button--small", "aria-label": `Lier le compte de paie ${account.account_number} au compte MyUnisoft ${suggestion.account_number} ${suggestion.label}` },
          `Lier à ${suggestion.account_number} — ${suggestion.label}`,
        );
        button.addEventListener("click", () => link(account, suggestion.account_id, button));
        return h("p", {}, button);
      }),
      form,
    ];
  };

  const draw = async () => {
    /** @type {{accounts: AccountRow[]}} */
    const list = await get(`${path}/accounts`, signal);
    fill(
      listArea,
      table(
        "Comptes de paie du dossier",
        ["Compte de paie", "Libellé (paie)", "État", "Compte MyUnisoft", "Lier à un compte existant", "Origine"],
        list.accounts.map((account) =>
          h(
            "tr",
            { "data-account": account.account_number, "data-state": account.state },
            h("td", {}, h("code", {}, account.account_number)),
            h("td", {}, account.payroll_label || "—"),
            h("td", {}, badge(TONES[account.state] || "neutral", account.state_label)),
            h("td", {}, accountText(account.match)),
            h("td", {}, linkCell(account)),
            h("td", {}, account.origin ? [ORIGINS[account.origin] || account.origin, account.linked_at ? h("p", { class: "muted small" }, dateTime(account.linked_at)) : null] : "—"),
          ),
        ),
        "Aucun compte pour l'instant : la liste se remplit à la première synchronisation.",
        { cards: true },
      ),
    );
  };
  await draw().catch((error) => {
    if (!signal.aborted) fill(listArea, errorBox(error));
  });
}
