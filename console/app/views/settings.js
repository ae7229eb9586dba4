// A dossier's « Paramètres »: its settings as the API answers them (secrets masked), a form to change
// them (new secrets typed in, never shown back), and the way back to the firm's payroll credentials.

import { ApiError, get, send, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { credentialsSummary, emails, payrollInputs, tokenInput } from "../credentials.js";
import { day, period } from "../format.js";
import { confirmDialog, field, panel, runAction } from "../ui.js";
import { dossierHeader, dossierLoading } from "./dossier-header.js";

/** @typedef {import("../types.js").Dossier} Dossier */

/** @param {Dossier} dossier */
function summary(dossier) {
  return h(
    "dl",
    { class: "settings-list" },
    h("dt", {}, "Identifiant"),
    h("dd", {}, h("code", {}, dossier.dossier_id)),
    h("dt", {}, "Société MyUnisoft"),
    h("dd", {}, dossier.society_id === null ? "non renseignée" : String(dossier.society_id)),
    h("dt", {}, "Code dossier de paie"),
    h("dd", {}, dossier.payroll_dossier_number || "non renseigné"),
    h("dt", {}, "Récupération automatique"),
    h("dd", {}, dossier.auto_pull ? `oui, le ${dossier.run_day} de chaque mois (prochaine : ${day(dossier.next_due)})` : "non"),
    h("dt", {}, "Période en attente"),
    h("dd", {}, period(dossier.pending_period)),
    h("dt", {}, "Dernière période synchronisée"),
    h("dd", {}, period(dossier.last_synced_period)),
    h("dt", {}, "Jeton MyUnisoft en vigueur"),
    h("dd", {}, dossier.myunisoft_token === "societe" ? "jeton société du dossier" : dossier.myunisoft_token === "cabinet" ? "jeton cabinet" : "aucun"),
    h("dt", {}, "Création automatique des comptes"),
    h("dd", {}, dossier.auto_create_accounts ? "oui" : "non"),
    h("dt", {}, "Contacts"),
    h("dd", {}, dossier.contact_emails.length ? dossier.contact_emails.join(", ") : "aucun (ceux du cabinet)"),
  );
}

/** @param {import("../main.js").Screen} screen */
export async function renderSettings({ main, params, signal }) {
  const dossierId = params[0];
  const path = `/dossiers/${seg(dossierId)}`;
  dossierLoading(main);
  /** @type {Dossier} */
  let dossier = await get(path, signal);

  const current = h("div", {});
  const drawCurrent = () =>
    fill(
      current,
      panel("Paramètres enregistrés", summary(dossier)),
      panel(
        "Identifiants de paie en vigueur",
        credentialsSummary(dossier.payroll_applies, "Aucun identifiant de paie : renseignez ceux du cabinet (page « Cabinet »)."),
        dossier.payroll_override ? [h("p", { class: "muted" }, "Ce dossier a ses propres identifiants de paie."), resetButton] : null,
        resetOutput,
      ),
    );

  const resetButton = h("button", { type: "button", class: "button button--secondary" }, "Revenir aux identifiants du cabinet");
  const resetOutput = h("div", {});
  resetButton.addEventListener("click", async () => {
    const sure = await confirmDialog(
      "Revenir aux identifiants du cabinet ?",
      h("p", {}, "Les identifiants de paie propres à ce dossier seront supprimés ; ceux du cabinet s'appliqueront."),
      "Supprimer les identifiants du dossier",
    );
    if (!sure) return;
    await runAction(resetButton, resetOutput, "Suppression…", async () => {
      dossier = await send("DELETE", `${path}/payroll-credentials`, undefined, signal);
      drawCurrent();
      return h("p", { class: "alert alert--ok", role: "status" }, "Les identifiants du cabinet s'appliquent de nouveau.");
    });
  });

  const name = h("input", { type: "text", name: "name", required: true, value: dossier.name });
  const society = h("input", { type: "number", name: "society_id", min: "1", step: "1", value: dossier.society_id ?? "" });
  const number = h("input", { type: "text", name: "payroll_dossier_number", value: dossier.payroll_dossier_number ?? "" });
  const autoPull = h("input", { type: "checkbox", name: "auto_pull", checked: dossier.auto_pull });
  const runDay = h("input", { type: "number", name: "run_day", min: "1", max: "31", step: "1", value: dossier.run_day });
  const autoCreate = h("input", { type: "checkbox", name: "auto_create_accounts", checked: dossier.auto_create_accounts });
  const contacts = h("textarea", { name: "contact_emails", rows: "3" }, dossier.contact_emails.join("\n"));
  const token = tokenInput("Nouveau jeton société MyUnisoft", dossier.has_societe_token ? "Un jeton société est enregistré. Laisser vide pour le garder." : "Facultatif : sans lui, le jeton du cabinet s'applique.");
  const payroll = payrollInputs("Identifiants de paie propres au dossier (facultatif)");
  const save = h("button", { type: "submit", class: "button" }, "Enregistrer");
  const output = h("div", {});
  const form = h(
    "form",
    { novalidate: true },
    h(
      "div",
      { class: "form-grid" },
      field("Nom du dossier", name),
      field("Société MyUnisoft (identifiant)", society),
      field("Code dossier de paie (Silae)", number),
      field("Jour de récupération (1 à 31)", runDay, "Un jour au-delà de la fin du mois : le dernier jour."),
    ),
    field("Récupération automatique (« Compta »)", autoPull),
    field("Créer automatiquement les comptes manquants dans MyUnisoft", autoCreate, "Chaque compte n'est créé qu'une fois, jamais en double."),
    field("Adresses e-mail de contact (une par ligne)", contacts),
    token.element,
    payroll.element,
    h("div", { class: "actions" }, save),
    output,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runAction(save, output, "Enregistrement…", async () => {
      /** @type {Record<string, unknown>} */
      const body = {
        name: name.value.trim(),
        auto_pull: autoPull.checked,
        auto_create_accounts: autoCreate.checked,
        contact_emails: emails(contacts.value),
      };
      if (society.value) body.society_id = Number(society.value);
      if (number.value.trim()) body.payroll_dossier_number = number.value.trim();
      if (runDay.value) body.run_day = Number(runDay.value);
      if (!Number.isInteger(body.society_id ?? 1) || !Number.isInteger(body.run_day ?? 1)) {
        throw new ApiError(0, "invalid", "La société et le jour de récupération sont des nombres entiers.");
      }
      const newToken = token.value();
      if (newToken) body.myunisoft_societe_token = newToken;
      const newPayroll = payroll.value();
      if (newPayroll) body.payroll = newPayroll;
      dossier = await send("PUT", path, body, signal);
      token.clear();
      payroll.clear();
      drawCurrent();
      return h("p", { class: "alert alert--ok", role: "status" }, "Paramètres enregistrés.");
    });
  });

  drawCurrent();
  fill(main, dossierHeader(dossierId, dossier.name, "/parametres"), h("div", { class: "grid-2" }, current, panel("Modifier les paramètres", form)));
}
