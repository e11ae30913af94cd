// Shared by the pages: the header, the language switch, JSON calls, sign-in, small helpers.
import { applyI18n, currentLang, setLang, t } from "./i18n.js";

/**
 * Error from the service: the HTTP status, the error class (`DataError`, `NotFoundError`…),
 * the field it is about and the service's own message (for logs, never shown as is).
 */
export class ApiError extends Error {
  constructor(status, message, { kind = null, field = null } = {}) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.field = field;
  }
}

function messageOf(body, fallback) {
  if (!body) return fallback;
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail))
    return body.detail.map((d) => d.msg ?? JSON.stringify(d)).join("; ");
  if (typeof body.message === "string") return body.message;
  if (typeof body.error === "string") return body.error;
  return fallback;
}

// The field an error is about, without its index (`photos[2]` -> `photos`).
function baseField(field) {
  return field ? String(field).replace(/\[\d+\]$/, "").split(".")[0] : null;
}

/**
 * What a person reads for an error: a sentence in the page's language, chosen by the kind of
 * error and the field it is about; never the service's raw message or a field name.
 */
export function errorText(ex) {
  if (!(ex instanceof ApiError)) return t("err.network");
  const field = baseField(ex.field);
  const keys = [
    field ? `err.${ex.status}.${field}` : null,
    field ? `err.field.${field}` : null,
    `err.${ex.status}`,
    ex.status >= 500 ? "err.500" : "err.other",
  ];
  for (const key of keys) {
    if (key && t(key) !== key) return t(key);
  }
  return t("err.other");
}

/**
 * Call the service. `body` is sent as JSON unless it is FormData.
 * Resolves to the parsed JSON (or null for 204); rejects with ApiError.
 */
export async function api(path, { method = "GET", body, token, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body instanceof FormData || body instanceof URLSearchParams) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok)
    throw new ApiError(res.status, messageOf(data, `${res.status} ${res.statusText}`), {
      kind: data?.error ?? null,
      field: data?.field ?? null,
    });
  return data;
}

/** Escape text for innerHTML. */
export function esc(value) {
  return String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

/** Format a number with the current locale. */
export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Number(value).toLocaleString(currentLang(), {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** Format a date-time string in the current locale. */
export function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(currentLang(), { dateStyle: "short", timeStyle: "short" });
}

/** Show (`on`) or hide the element with id `id`. */
export function show(id, on) {
  document.getElementById(id).hidden = !on;
}

/** Write `text` in the page's message line (#msg), marked as an error when `error`. */
export function showMessage(text, error = false) {
  const out = document.getElementById("msg");
  out.textContent = text;
  out.className = `small ${error ? "error" : ""}`;
}

/** The translation of `key`, or `fallback` where the dictionary has none (a new state …). */
export function tOr(key, fallback) {
  return t(key) === key ? fallback : t(key);
}

/** Announce a short message in the page's live region (and show it as a toast). */
export function toast(message, kind = "info") {
  let box = document.getElementById("toast");
  if (!box) {
    box = document.createElement("div");
    box.id = "toast";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  box.textContent = message;
  box.className = `toast show ${kind}`;
  clearTimeout(box._timer);
  box._timer = setTimeout(() => box.classList.remove("show"), 4000);
}

/** Mark this page's link in the header's navigation as the current page. */
export function markCurrentPage() {
  for (const a of document.querySelectorAll(".nav a")) {
    if (a.getAttribute("href") === location.pathname) a.setAttribute("aria-current", "page");
  }
}

/** Wire the header: language switch button and current-page marker; then translate. */
export function initPage() {
  const btn = document.getElementById("lang-switch");
  if (btn) {
    btn.addEventListener("click", () => setLang(currentLang() === "en" ? "zh-CN" : "en"));
  }
  markCurrentPage();
  applyI18n();
}

// ------------------------------------------------------------------------- sign-in
// The pages keep their sign-in in sessionStorage (one tab, gone with it): the staff pages share
// STAFF_TOKEN, the residents' and volunteers' phone pages share RESIDENT_TOKEN.
export const STAFF_TOKEN = "wanzheng.token";
export const RESIDENT_TOKEN = "wanzheng.resident.token";

/**
 * The token kept under `key`: `get()` (null when signed out or storage is disabled),
 * `keep(token)` and `forget()`; storage errors are ignored (the page then asks again).
 */
export function tokenStore(key) {
  return {
    get() {
      try {
        return sessionStorage.getItem(key);
      } catch {
        return null;
      }
    },
    keep(token) {
      try {
        sessionStorage.setItem(key, token);
      } catch {
        /* ignore */
      }
    },
    forget() {
      try {
        sessionStorage.removeItem(key);
      } catch {
        /* ignore */
      }
    },
  };
}

/** Exchange a user name and password for a token (rejects with ApiError 401 when wrong). */
export async function requestToken(username, password) {
  const res = await api("/api/auth/token", { method: "POST", body: { username, password } });
  return res.access_token;
}

/**
 * Sign out: forget the kept token and revoke `token` (by default the kept one) at the service.
 * Best effort: the page is signed out even when the service cannot be reached.
 */
export async function signOut(store, token = store.get()) {
  store.forget();
  if (token) await api("/api/auth/logout", { method: "POST", token }).catch(() => null);
}

/**
 * Wire the page's sign-in form (#login-form with #username, #password and #login-error): on
 * submit, the name and password are exchanged for a token that goes to `accept(token)`, which
 * keeps it once the page takes it; a failure of either is written in #login-error as
 * `explain(error)` says.
 */
export function bindSignInForm(accept, { explain = errorText } = {}) {
  document.getElementById("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = document.getElementById("login-error");
    err.textContent = "";
    try {
      const username = document.getElementById("username").value.trim();
      await accept(await requestToken(username, document.getElementById("password").value));
    } catch (ex) {
      err.textContent = explain(ex);
    }
  });
}

export { t };
