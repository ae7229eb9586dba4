// « Cabinet »: the firm's settings and credentials (new ones typed in and tested before saving; stored
// secrets never shown), the payroll secret's expiry countdown, the firm's connection test, its contacts.

import { get, send, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { credentialsSummary, emails, expiryBadge, payrollInputs, tokenInput } from "../credentials.js";
import { day, daysUntil, plural } from "../format.js";
import { checkList, field, loading, panel, runAction } from "../ui.js";

/** @typedef {import("../types.js").Firm} Firm */

/** @param {Firm} firm */
function countdown(firm) {
  if (!firm.payroll) return h("p", { class: "alert alert--warn" }, "Aucun identifiant de paie enregistré : saisissez-les ci-dessous.");
  const days = daysUntil(firm.payroll.secret_expires_on);
  const when = day(firm.payroll.secret_expires_on);
  const text =
    days < 0
      ? `Le secret Client a expiré le ${when} : renouvelez-le sur le portail de l'API Silae (« Mes comptes API »), puis saisissez-le ci-dessous.`
      : `Le secret Client expire dans ${plural(days, "jour", "jours")}, le ${when}.${days <= 60 ? " Renouvelez-le sur le portail de l'API Silae (« Mes comptes API »), puis saisissez-le ci-dessous." : ""}`;
  return h(
    "div",
    { class: `alert ${days < 0 ? "alert--error" : days <= 60 ? "alert--warn" : "alert--ok"}`, "data-countdown": String(days) },
    h("p", { class: "alert__title" }, expiryBadge(firm.payroll.secret_expires_on)),
    h("p", {}, text),
  );
}

/** @param {import("../main.js").Screen} screen */
export async function renderFirm({ main, signal, firmId }) {
  document.title = "Cabinet — paysync";
  const path = `/firms/${seg(firmId)}`;
  fill(main, h("h1", {}, "Cabinet"), loading("Chargement du cabinet…"));
  /** @type {Firm} */
  let firm = await get(path, signal);

  const current = h("div", {});
  const drawCurrent = () =>
    fill(
      current,
      panel(
        "Coordonnées",
        h(
          "dl",
          { class: "settings-list" },
          h("dt", {}, "Identifiant"),
          h("dd", {}, h("code", {}, firm.firm_id)),
          h("dt", {}, "Nom"),
          h("dd", {}, firm.name),
          h("dt", {}, "Contacts"),
          h("dd", {}, firm.contact_emails.length ? h("ul", { class: "plain" }, firm.contact_emails.map((address) => h("li", {}, address))) : "aucun"),
          h("dt", {}, "Jeton cabinet MyUnisoft"),
          h("dd", {}, firm.has_cabinet_token ? "enregistré" : "aucun (chaque dossier a son jeton société)"),
        ),
      ),
      panel("Identifiants de l'API Silae", countdown(firm), credentialsSummary(firm.payroll, "Aucun.")),
    );

  const testButton = h("button", { type: "button", class: "button button--secondary" }, "Tester la connexion du cabinet");
  const testOutput = h("div", { "data-output": "connection" });
  testButton.addEventListener("click", () =>
    runAction(testButton, testOutput, "Vérifications en cours (Silae puis MyUnisoft)…", async () =>
      checkList(await send("POST", `${path}/test-connection`, undefined, signal)),
    ),
  );

  const name = h("input", { type: "text", name: "name", required: true, value: firm.name });
  const contacts = h("textarea", { name: "contact_emails", rows: "3" }, firm.contact_emails.join("\n"));
  const payroll = payrollInputs("Nouveaux identifiants de l'API Silae");
  const token = tokenInput("Nouveau jeton cabinet MyUnisoft", firm.has_cabinet_token ? "Un jeton est enregistré. Laisser vide pour le garder." : "Facultatif.");
  const tryButton = h("button", { type: "button", class: "button button--secondary" }, "Tester ces identifiants");
  const save = h("button", { type: "submit", class: "button" }, "Enregistrer");
  const output = h("div", {});
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "form-grid" }, field("Nom du cabinet", name), field("Adresses e-mail de contact (une par ligne)", contacts, "Elles reçoivent les rappels d'expiration et les alertes d'échec.")),
    payroll.element,
    token.element,
    h("div", { class: "actions" }, tryButton, save),
    output,
  );
  /** @returns {Record<string, unknown>} */
  const secrets = () => {
    /** @type {Record<string, unknown>} */
    const body = {};
    const newPayroll = payroll.value();
    if (newPayroll) body.payroll = newPayroll;
    const newToken = token.value();
    if (newToken) body.myunisoft_cabinet_token = newToken;
    return body;
  };
  tryButton.addEventListener("click", () =>
    runAction(tryButton, output, "Vérification des identifiants saisis…", async () => [
      h("p", { class: "muted" }, "Résultat avec les identifiants saisis (les champs laissés vides reprennent ceux enregistrés). Rien n'a été enregistré."),
      checkList(await send("POST", `${path}/test-connection`, secrets(), signal)),
    ]),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runAction(save, output, "Enregistrement…", async () => {
      firm = await send("PUT", path, { name: name.value.trim(), contact_emails: emails(contacts.value), ...secrets() }, signal);
      payroll.clear();
      token.clear();
      drawCurrent();
      return h("p", { class: "alert alert--ok", role: "status" }, "Cabinet enregistré.");
    });
  });

  drawCurrent();
  fill(
    main,
    h("h1", {}, firm.name),
    h("p", { class: "lead" }, "Paramètres et identifiants du cabinet. Les secrets enregistrés ne sont jamais réaffichés."),
    h("div", { class: "grid-2" }, current, h("div", {}, panel("Tester la connexion", h("p", { class: "muted" }, "Avec les identifiants enregistrés : Silae, puis MyUnisoft."), h("div", { class: "actions" }, testButton), testOutput))),
    panel("Modifier le cabinet", form),
  );
}
