// Payroll credentials and tokens: what the API says of the stored ones (masked Client ID, dates,
// expiry countdown — never a secret), and the inputs for new ones (typed in, sent once, then cleared).

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { day, daysUntil, plural } from "./format.js";
import { badge } from "./status.js";
import { field } from "./ui.js";

/** @typedef {import("./types.js").PayrollCredentials} PayrollCredentials */
/** @typedef {import("./types.js").PayrollCredentialsIn} PayrollCredentialsIn */

/**
 * « expire dans 6 jours » as a badge: red once expired, orange within 60 days.
 * @param {string} expiresOn
 */
export function expiryBadge(expiresOn) {
  const days = daysUntil(expiresOn);
  if (days < 0) return badge("error", `expiré depuis ${plural(-days, "jour", "jours")}`);
  if (days <= 60) return badge("warn", `expire dans ${plural(days, "jour", "jours")}`);
  return badge("ok", `valable encore ${plural(days, "jour", "jours")}`);
}

/**
 * The stored credentials as the API answers them.
 * @param {PayrollCredentials | null} credentials
 * @param {string} none said when there are none
 */
export function credentialsSummary(credentials, none) {
  if (!credentials) return h("p", { class: "muted" }, none);
  return h(
    "dl",
    { class: "settings-list", "data-credentials": credentials.level },
    h("dt", {}, "Niveau"),
    h("dd", {}, credentials.level === "firm" ? "Cabinet" : "Dossier"),
    h("dt", {}, "Client ID"),
    h("dd", {}, h("code", {}, credentials.client_id_masked)),
    h("dt", {}, "Secret généré le"),
    h("dd", {}, day(credentials.secret_generated_on)),
    h("dt", {}, "Secret valable jusqu'au"),
    h(
      "dd",
      {},
      day(credentials.secret_expires_on),
      " ",
      expiryBadge(credentials.secret_expires_on),
      credentials.expiry_learned_from_silae ? h("span", { class: "muted small" }, " (date annoncée par Silae)") : null,
    ),
  );
}

/**
 * @param {string} name
 * @param {string} [type]
 */
function secretInput(name, type = "password") {
  return h("input", { type, name, autocomplete: type === "password" ? "new-password" : "off", spellcheck: "false" });
}

/**
 * Inputs for new payroll credentials: all four, or none.
 * @param {string} legend
 */
export function payrollInputs(legend) {
  const clientId = secretInput("client_id", "text");
  const clientSecret = secretInput("client_secret");
  const subscriptionKey = secretInput("subscription_key");
  const generatedOn = h("input", { type: "date", name: "secret_generated_on" });
  const inputs = [clientId, clientSecret, subscriptionKey, generatedOn];
  const element = h(
    "fieldset",
    {},
    h("legend", {}, legend),
    h("p", { class: "field__hint" }, "Laisser vide pour garder les identifiants enregistrés. Les secrets ne sont jamais réaffichés."),
    h(
      "div",
      { class: "form-grid" },
      field("Client ID", clientId),
      field("Secret Client", clientSecret),
      field("Clé de configuration (clé principale)", subscriptionKey),
      field("Date de génération du secret", generatedOn, "Le secret est valable un an."),
    ),
  );
  return {
    element,
    /** @returns {PayrollCredentialsIn | null} none typed; throws when only some are */
    value() {
      const filled = inputs.filter((input) => input.value.trim());
      if (!filled.length) return null;
      if (filled.length < inputs.length) {
        throw new ApiError(0, "incomplete", "Saisissez les quatre champs des identifiants de paie, ou aucun.");
      }
      return {
        client_id: clientId.value.trim(),
        client_secret: clientSecret.value.trim(),
        subscription_key: subscriptionKey.value.trim(),
        secret_generated_on: generatedOn.value,
      };
    },
    clear() {
      for (const input of inputs) input.value = "";
    },
  };
}

/**
 * A write-only input for a MyUnisoft token.
 * @param {string} label
 * @param {string} hint
 */
export function tokenInput(label, hint) {
  const input = secretInput("token");
  return {
    element: field(label, input, hint),
    /** @returns {string | null} */
    value: () => input.value.trim() || null,
    clear() {
      input.value = "";
    },
  };
}

/**
 * Addresses typed one per line (or separated by commas).
 * @param {string} text
 */
export function emails(text) {
  return text
    .split(/[\n,;]+/)
    .map((address) => address.trim())
    .filter(Boolean);
}
