// The console's entry point: config.json, the session, and one screen per address (#/…).
// Leaving a screen cancels what it was doing (its calls and the run it was following).

import { get, loadConfig, onActivity, onUnauthorized, seg } from "./api.js";
import { fill } from "./dom.js";
import { currentSession, endSession } from "./session.js";
import { errorBox } from "./ui.js";
import { renderDashboard } from "./views/dashboard.js";
import { renderDiscovery } from "./views/discovery.js";
import { renderAccounts } from "./views/accounts.js";
import { renderDossier } from "./views/dossier.js";
import { backToDashboard } from "./views/dossier-header.js";
import { renderFirm } from "./views/firm.js";
import { renderPeriods } from "./views/periods.js";
import { renderSettings } from "./views/settings.js";
import { renderSignIn } from "./views/signin.js";

/**
 * @typedef {object} Screen
 * @property {HTMLElement} main where the screen draws
 * @property {string[]} params the address's parts
 * @property {AbortSignal} signal aborted when the user leaves the screen
 * @property {string} firmId the signed-in firm
 */

/** @type {[RegExp, string, (screen: Screen) => Promise<void>][]} */
const ROUTES = [
  [/^\/?$/, "dashboard", renderDashboard],
  [/^\/dossiers\/([^/]+)$/, "dashboard", renderDossier],
  [/^\/dossiers\/([^/]+)\/parametres$/, "dashboard", renderSettings],
  [/^\/dossiers\/([^/]+)\/comptes$/, "dashboard", renderAccounts],
  [/^\/dossiers\/([^/]+)\/periodes$/, "dashboard", renderPeriods],
  [/^\/cabinet$/, "firm", renderFirm],
  [/^\/decouverte$/, "discovery", renderDiscovery],
];

const main = /** @type {HTMLElement} */ (document.getElementById("contenu"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
const signOutButton = /** @type {HTMLButtonElement} */ (document.getElementById("sign-out"));
const firmName = /** @type {HTMLElement} */ (document.getElementById("firm-name"));
const activity = /** @type {HTMLElement} */ (document.getElementById("activity"));

/** @type {AbortController | null} */
let screen = null;

function showScreen() {
  const session = currentSession();
  if (!session) return;
  screen?.abort();
  const controller = new AbortController();
  screen = controller;
  const path = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  const found = ROUTES.find(([pattern]) => pattern.test(path));
  for (const link of nav.querySelectorAll("a")) {
    if (found && link.dataset.nav === found[1]) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!found) {
    fill(main, backToDashboard(), errorBox(new Error("Cette page n'existe pas.")));
    return;
  }
  const [pattern, , render] = found;
  const params = (path.match(pattern) || []).slice(1);
  render({ main, params, signal: controller.signal, firmId: session.firmId })
    .catch((error) => {
      if (!controller.signal.aborted) fill(main, backToDashboard(), errorBox(error));
    })
    .finally(() => {
      if (!controller.signal.aborted && document.activeElement === document.body) main.focus();
    });
}

/** @param {unknown} [why] an error to show above the prompt */
function showSignIn(why) {
  screen?.abort();
  screen = null;
  nav.hidden = true;
  signOutButton.hidden = true;
  firmName.textContent = "";
  document.title = "Connexion — paysync";
  renderSignIn(main, why, showApp);
}

function showApp() {
  const session = currentSession();
  if (!session) return showSignIn();
  nav.hidden = false;
  signOutButton.hidden = false;
  firmName.textContent = `— ${session.firmId}`;
  get(`/firms/${seg(session.firmId)}`)
    .then((firm) => {
      firmName.textContent = `— ${firm.name}`;
    })
    .catch(() => {});
  showScreen();
}

async function start() {
  let timer = 0;
  onActivity((pending) => {
    clearTimeout(timer);
    if (pending > 0) {
      timer = window.setTimeout(() => {
        activity.textContent = "Chargement…";
        activity.classList.add("activity--on");
      }, 250);
    } else {
      activity.textContent = "";
      activity.classList.remove("activity--on");
    }
  });
  onUnauthorized((error) => {
    endSession();
    showSignIn(error);
  });
  signOutButton.addEventListener("click", () => {
    endSession();
    history.replaceState(null, "", "#/");
    showSignIn();
  });
  document.getElementById("skip-link")?.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  window.addEventListener("hashchange", showScreen);
  try {
    await loadConfig();
  } catch (error) {
    fill(main, errorBox(error));
    return;
  }
  if (currentSession()) showApp();
  else showSignIn();
}

start();
