// The signed-in firm for this tab only: sessionStorage (gone when the tab closes, and on « Se
// déconnecter »), never localStorage, a cookie or the URL.

const KEY = "paysync.apiKey";
const FIRM = "paysync.firmId";

/** @typedef {{key: string, firmId: string}} Session */

/** @returns {Session | null} */
export function currentSession() {
  const key = sessionStorage.getItem(KEY);
  const firmId = sessionStorage.getItem(FIRM);
  return key && firmId ? { key, firmId } : null;
}

/** @param {Session} session */
export function keepSession(session) {
  sessionStorage.setItem(KEY, session.key);
  sessionStorage.setItem(FIRM, session.firmId);
}

export function endSession() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(FIRM);
}
