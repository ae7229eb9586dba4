// The one door to paysync's HTTP API: its base URL from config.json, the firm's key as a Bearer
// credential, every refusal turned into an ApiError carrying the API's own French message and details.

import { currentSession } from "./session.js";

/** @typedef {import("./types.js").ErrorDetail} ErrorDetail */

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer at all)
   * @param {string} code the API's error code
   * @param {string} message the API's French message
   * @param {ErrorDetail[]} [details] the fields at fault
   */
  constructor(status, code, message, details = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let base = "/v1";
/** @type {((error: ApiError) => void)[]} */
const unauthorizedListeners = [];
/** @type {((pending: number) => void)[]} */
const activityListeners = [];
let pending = 0;

/** Read config.json (written at deploy time beside index.html) for the API's base URL. */
export async function loadConfig() {
  const missing = new ApiError(
    0,
    "config",
    "La configuration de la console (config.json) est introuvable ou invalide : le déploiement est incomplet.",
  );
  let config;
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    config = response.ok ? await response.json() : null;
  } catch {
    throw missing;
  }
  if (!config || typeof config.api_base !== "string" || !config.api_base) throw missing;
  base = config.api_base.replace(/\/+$/, "");
}

/** @param {(error: ApiError) => void} listener called when the API refuses the session's key (401) */
export function onUnauthorized(listener) {
  unauthorizedListeners.push(listener);
}

/** @param {(pending: number) => void} listener called with the number of calls under way */
export function onActivity(listener) {
  activityListeners.push(listener);
}

/** @param {number} delta */
function track(delta) {
  pending += delta;
  for (const listener of activityListeners) listener(pending);
}

/** @param {unknown} error */
export function isAbort(error) {
  return error instanceof DOMException && error.name === "AbortError";
}

/**
 * @param {number} ms
 * @param {AbortSignal | undefined} signal
 */
export function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("Navigation", "AbortError"));
    });
  });
}

/** @param {Response} response */
async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * @param {number} status
 * @param {any} body
 */
function toError(status, body) {
  if (body && typeof body.message === "string") {
    const details = Array.isArray(body.details) ? body.details : [];
    return new ApiError(status, String(body.code || "error"), body.message, details);
  }
  return new ApiError(status, "http_error", `Le serveur a répondu par une erreur inattendue (HTTP ${status}).`);
}

/**
 * @typedef {object} CallOptions
 * @property {unknown} [body] sent as JSON
 * @property {string} [key] a key to try (sign-in); by default the session's, and a 401 ends the session
 * @property {AbortSignal} [signal] the screen's: leaving it cancels the call
 */

/**
 * Call the API. Rate-limited reads (429) are retried after a pause; every other refusal throws.
 * @param {string} method
 * @param {string} path under the stage, e.g. `/firms/cabinet-dupont`
 * @param {CallOptions} [options]
 * @returns {Promise<{status: number, data: any}>}
 */
export async function call(method, path, options = {}) {
  const key = options.key ?? currentSession()?.key;
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  for (let attempt = 1; ; attempt += 1) {
    let response;
    track(1);
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body,
        signal: options.signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(0, "network", "Le service paysync ne répond pas. Vérifiez votre connexion, puis réessayez.");
    } finally {
      track(-1);
    }
    if (response.status === 429 && method === "GET" && attempt < 4) {
      await pause(500 * 2 ** attempt, options.signal);
      continue;
    }
    const data = await readJson(response);
    if (response.ok) return { status: response.status, data };
    const error = toError(response.status, data);
    if (response.status === 401 && options.key === undefined) {
      for (const listener of unauthorizedListeners) listener(error);
    }
    throw error;
  }
}

/**
 * @param {string} path
 * @param {AbortSignal} [signal]
 */
export async function get(path, signal) {
  return (await call("GET", path, { signal })).data;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {AbortSignal} [signal]
 */
export async function send(method, path, body, signal) {
  return (await call(method, path, { body, signal })).data;
}

/**
 * A path segment, escaped.
 * @param {string} value
 */
export function seg(value) {
  return encodeURIComponent(value);
}
