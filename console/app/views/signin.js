// The key prompt: the firm's identifier and its API key, checked against the API before being kept
// (for this tab only) — a refused key is never kept.

import { ApiError, call, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { keepSession } from "../session.js";
import { errorBox, field, loading } from "../ui.js";

/**
 * @param {HTMLElement} main
 * @param {unknown} why an error to show (the API's 401 that ended the session), if any
 * @param {() => void} signedIn
 */
export function renderSignIn(main, why, signedIn) {
  const firm = h("input", {
    type: "text",
    name: "firm",
    required: true,
    autocomplete: "organization",
    spellcheck: "false",
    pattern: "[a-z0-9][a-z0-9_\\-]{0,63}",
  });
  const key = h("input", { type: "password", name: "key", required: true, autocomplete: "off", spellcheck: "false" });
  const output = h("div", { class: "signin__output" });
  const submit = h("button", { type: "submit", class: "button" }, "Se connecter");
  if (why) {
    output.append(
      h("p", { class: "muted" }, "La clé a été refusée par l'API : saisissez-la à nouveau."),
      errorBox(why),
    );
  }
  const form = h(
    "form",
    { class: "signin__form", novalidate: true },
    field("Identifiant du cabinet", firm, "Par exemple : cabinet-dupont."),
    field("Clé d'API", key, "Elle commence par psk_. Elle reste dans cet onglet et est oubliée à sa fermeture ou quand vous vous déconnectez."),
    h("div", { class: "actions" }, submit),
    output,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const firmId = firm.value.trim();
    const secret = key.value.trim();
    if (!firmId || !secret) {
      fill(output, errorBox(new ApiError(0, "missing", "Saisissez l'identifiant du cabinet et la clé d'API.")));
      return;
    }
    submit.disabled = true;
    fill(output, loading("Vérification de la clé…"));
    try {
      await call("GET", `/firms/${seg(firmId)}`, { key: secret });
      keepSession({ key: secret, firmId });
      key.value = "";
      signedIn();
    } catch (error) {
      fill(output, h("p", { class: "signin__refused" }, "Connexion refusée."), errorBox(error));
      key.focus();
    } finally {
      submit.disabled = false;
    }
  });
  fill(
    main,
    h(
      "div",
      { class: "signin" },
      h("h1", {}, "Console paysync"),
      h("p", { class: "lead" }, "Suivez la synchronisation des OD de paie de vos dossiers entre Silae et MyUnisoft."),
      form,
    ),
  );
  firm.focus();
}
