// The residents' page (mobile first): report a problem with a pin and photos, then follow
// the case by its tracking code and rate the result. Optionally an account: a case is
// claimed by its tracking code, and a phone proven with a one-time code shows the cases
// filed with it (a phone typed at registration never does).
import "./style.css";
import {
  api,
  errorText,
  esc,
  initPage,
  requestToken,
  RESIDENT_TOKEN,
  signOut,
  toast,
  tokenStore,
  when,
} from "./common.js";
import { onLangChange, t } from "./i18n.js";
import { createMap, drawBase, L } from "./map.js";
import { actionLabel, categoryLabel, loadVocabulary, stateLabel } from "./vocab.js";
import { shrinkPhoto } from "./photos.js";

const MINE_KEY = "wanzheng.mycases";
const MAX_PHOTOS = 6; // the case desk accepts up to six photos per case
// Chosen photos, already shrunk on the phone: { blob, name, url } (url: a preview).
const photos = [];
const RATINGS = [
  ["满意", "res.rate.satisfied"],
  ["基本满意", "res.rate.basic"],
  ["不满意", "res.rate.unsatisfied"],
];

initPage();
const map = createMap(document.getElementById("map"), { zoom: 16 });
let pin = null; // L.marker
let point = null; // [lon, lat]
let current = null; // the tracked case
let idempotencyKey = newKey();

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

const pinIcon = L.divIcon({
  className: "pin",
  html: '<span aria-hidden="true"></span>',
  iconSize: [28, 28],
  iconAnchor: [14, 28],
});

function setPoint(lat, lon) {
  point = [lon, lat];
  document.getElementById("form-error").textContent = "";
  if (!pin) {
    pin = L.marker([lat, lon], { icon: pinIcon, draggable: true, keyboard: true, title: t("res.location.set") });
    pin.on("dragend", () => {
      const ll = pin.getLatLng();
      setPoint(ll.lat, ll.lng);
    });
    pin.addTo(map);
  } else pin.setLatLng([lat, lon]);
  namePoint();
}

let placeName = null; // the pin's place in words, from the area's own data
let placeAsked = 0;

function renderPoint() {
  const out = document.getElementById("loc-status");
  out.textContent = point
    ? `${t("res.location.set")}: ${placeName ?? `${point[1].toFixed(5)}, ${point[0].toFixed(5)}`}`
    : t("res.location.none");
  out.classList.toggle("ok", Boolean(point));
}

// Name the pin ("石科院生活区附近 · 学院路") from the audit's communities and streets; the
// coordinates stay shown when the area has no name for the spot or no audit is loaded.
async function namePoint() {
  const asked = ++placeAsked;
  placeName = null;
  renderPoint();
  if (!point) return;
  try {
    const found = await api(`/api/audit/place?lon=${point[0]}&lat=${point[1]}`);
    if (asked === placeAsked) placeName = found?.name ?? null;
  } catch {
    placeName = null;
  }
  if (asked === placeAsked) renderPoint();
}

map.on("click", (e) => setPoint(e.latlng.lat, e.latlng.lng));
// A message about a missing field goes away once the field is filled.
document.getElementById("report-form").addEventListener("input", () => {
  document.getElementById("form-error").textContent = "";
});
// Keyboard users: Enter on the focused map drops the pin at its centre.
document.getElementById("map").addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    const c = map.getCenter();
    setPoint(c.lat, c.lng);
  }
});

// Why the phone gave no position, in words the resident can act on (shown beside the button,
// where it stays, and announced).
function locationProblem(key) {
  const out = document.getElementById("loc-status");
  out.textContent = t(key);
  out.classList.remove("ok");
  out.classList.add("error");
  toast(t(key), "error");
}

document.getElementById("locate").addEventListener("click", () => {
  if (!navigator.geolocation) {
    locationProblem("res.location.denied");
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      document.getElementById("loc-status").classList.remove("error");
      setPoint(pos.coords.latitude, pos.coords.longitude);
      map.setView([pos.coords.latitude, pos.coords.longitude], 17);
    },
    (err) => {
      if (err.code === 1) locationProblem("res.location.blocked"); // PERMISSION_DENIED
      else if (err.code === 3) locationProblem("res.location.timeout"); // TIMEOUT
      else locationProblem("res.location.denied");
    },
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

function renderPhotos() {
  const box = document.getElementById("previews");
  box.innerHTML = photos
    .map(
      (p, i) => `<figure class="preview"><img src="${esc(p.url)}" alt="${esc(t("res.photos"))} ${i + 1}" />
        <button type="button" class="remove" data-remove="${i}" aria-label="${esc(t("res.photos.remove", { n: i + 1 }))}" title="${esc(t("res.photos.remove", { n: i + 1 }))}">×</button></figure>`,
    )
    .join("");
  document.getElementById("photos").disabled = photos.length >= MAX_PHOTOS;
  box.dataset.count = String(photos.length);
}

function clearPhotos() {
  for (const p of photos) URL.revokeObjectURL(p.url);
  photos.length = 0;
  renderPhotos();
}

document.getElementById("previews").addEventListener("click", (e) => {
  const b = e.target.closest("[data-remove]");
  if (!b) return;
  const [gone] = photos.splice(Number(b.dataset.remove), 1);
  if (gone) URL.revokeObjectURL(gone.url);
  renderPhotos();
});

// Phone photos (4000 × 3000, 5–14 MB) are shrunk here to a long side of 2000 px as JPEG,
// which also drops their EXIF (where and when they were taken); the service's size limit
// stays as the last guard.
document.getElementById("photos").addEventListener("change", async (e) => {
  const input = e.target;
  const files = [...input.files];
  input.value = ""; // the same photo may be chosen again after removing it
  const err = document.getElementById("form-error");
  err.textContent = "";
  const room = MAX_PHOTOS - photos.length;
  if (files.length > room) err.textContent = t("res.photos.many");
  const status = document.getElementById("photo-status");
  status.textContent = t("res.photos.shrinking");
  const box = document.getElementById("previews");
  box.dataset.busy = "yes";
  for (const file of files.slice(0, Math.max(room, 0))) {
    try {
      const blob = await shrinkPhoto(file);
      const name = `${file.name.replace(/\.[^.]*$/, "") || "photo"}.jpg`;
      photos.push({ blob, name, url: URL.createObjectURL(blob) });
    } catch {
      err.textContent = t("res.photos.unreadable");
    }
    renderPhotos();
  }
  status.textContent = "";
  delete box.dataset.busy;
});

function mine() {
  try {
    return JSON.parse(localStorage.getItem(MINE_KEY) || "[]");
  } catch {
    return [];
  }
}

function remember(code) {
  const list = [code, ...mine().filter((c) => c !== code)].slice(0, 10);
  try {
    localStorage.setItem(MINE_KEY, JSON.stringify(list));
  } catch {
    /* ignore */
  }
  renderMine();
}

function renderMine() {
  const list = mine();
  document.getElementById("mine").innerHTML = list.length
    ? list.map((c) => `<button type="button" class="chip" data-code="${esc(c)}">${esc(c)}</button>`).join("")
    : "";
}

document.getElementById("mine").addEventListener("click", (e) => {
  const code = e.target.dataset?.code;
  if (code) track(code);
});

document.getElementById("report-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const err = document.getElementById("form-error");
  err.textContent = "";
  const text = document.getElementById("text").value.trim();
  if (!text) {
    err.textContent = t("res.need.text");
    document.getElementById("text").focus();
    return;
  }
  if (!point) {
    err.textContent = t("res.need.pin");
    document.getElementById("map").focus();
    return;
  }
  const form = new FormData();
  form.append("text", text);
  form.append("lon", String(point[0]));
  form.append("lat", String(point[1]));
  for (const id of ["name", "phone"]) {
    const v = document.getElementById(id).value.trim();
    if (v) form.append(id, v);
  }
  for (const p of photos) form.append("photos", p.blob, p.name);
  const btn = document.getElementById("submit");
  btn.disabled = true;
  btn.textContent = t("res.submitting");
  try {
    const res = await api("/api/cases", {
      method: "POST",
      body: form,
      headers: { "Idempotency-Key": idempotencyKey },
    });
    idempotencyKey = newKey();
    remember(res.tracking_code);
    showReceipt(res);
    e.target.reset();
    clearPhotos();
  } catch (ex) {
    err.textContent = errorText(ex);
  } finally {
    btn.disabled = false;
    btn.textContent = t("res.submit");
  }
});

function showReceipt(res) {
  const box = document.getElementById("receipt");
  box.hidden = false;
  box.innerHTML = `
    <h2>✓ ${esc(t("res.done"))}</h2>
    <p>${esc(t("res.code"))}</p>
    <p class="code" id="tracking-code">${esc(res.tracking_code)}</p>
    <p class="muted small">${esc(t("res.code.keep"))}</p>
    <dl class="facts">
      <div><dt>${esc(t("disp.category"))}</dt><dd>${esc(categoryLabel(res.category))}</dd></div>
      <div><dt>${esc(t("res.resolve_due"))}</dt><dd>${esc(when(res.resolve_due))}</dd></div>
    </dl>
    <button type="button" class="btn block secondary" id="follow">${esc(t("res.track"))}</button>
    <button type="button" class="btn block" id="another">${esc(t("res.another"))}</button>`;
  document.getElementById("report-form").hidden = true;
  box.focus();
  document.getElementById("follow").addEventListener("click", () => {
    document.getElementById("report-form").hidden = false;
    box.hidden = true;
    track(res.tracking_code);
  });
  document.getElementById("another").addEventListener("click", reportAnother);
}

// A fresh form for the next problem: no text, pin, photos or place left from the last one.
function reportAnother() {
  const box = document.getElementById("receipt");
  box.hidden = true;
  box.innerHTML = "";
  const form = document.getElementById("report-form");
  form.reset();
  form.hidden = false;
  clearPhotos();
  if (pin) {
    pin.remove();
    pin = null;
  }
  point = null;
  placeName = null;
  renderPoint();
  selectTab("report");
  document.getElementById("text").focus();
}

function selectTab(name) {
  for (const tab of ["report", "track"]) {
    const on = tab === name;
    const b = document.getElementById(`tab-${tab}`);
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
    document.getElementById(`panel-${tab}`).hidden = !on;
  }
  if (name === "report") setTimeout(() => map.invalidateSize(), 0);
}

for (const tab of ["report", "track"]) {
  const b = document.getElementById(`tab-${tab}`);
  b.addEventListener("click", () => selectTab(tab));
  b.addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const other = tab === "report" ? "track" : "report";
      selectTab(other);
      document.getElementById(`tab-${other}`).focus();
    }
  });
}

document.getElementById("track-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const code = document.getElementById("code").value.trim();
  if (code) track(code);
});

async function track(code) {
  selectTab("track");
  document.getElementById("code").value = code;
  const box = document.getElementById("case");
  box.innerHTML = `<p class="muted">${esc(t("common.loading"))}</p>`;
  try {
    current = await api(`/api/track/${encodeURIComponent(code)}`);
    current.code = code;
    remember(code);
    renderCase();
  } catch (ex) {
    current = null;
    box.innerHTML = `<p class="error" role="alert">${esc(errorText(ex))}</p>`;
  }
}

function renderCase() {
  const box = document.getElementById("case");
  if (!current) return;
  const c = current;
  const events = [...c.events]
    .reverse()
    .map(
      (ev) => `<li><span class="when">${esc(when(ev.at))}</span>
        <strong>${esc(actionLabel(ev.action))}</strong> · ${esc(stateLabel(ev.to_state))}
        ${ev.note ? `<div class="note">${esc(ev.note)}</div>` : ""}</li>`,
    )
    .join("");
  const notices = (c.notices ?? []).length
    ? `<section class="notices" aria-labelledby="h-notices"><h2 id="h-notices">${esc(t("res.notices"))}</h2>
      <ul>${c.notices
        .map((n) => `<li><strong>${esc(n.subject)}</strong> <span class="when">${esc(when(n.created_at))}</span><div class="note">${esc(n.body)}</div></li>`)
        .join("")}</ul></section>`
    : "";
  let rating = "";
  if (c.rating) {
    rating = `<p class="rated">${esc(t("res.rate"))}: <strong>${esc(ratingLabel(c.rating))}</strong></p>`;
  } else if (c.state === "resolved") {
    rating = `<form id="rate-form" class="rate">
      <fieldset><legend>${esc(t("res.rate"))}</legend>
      <div class="rating-options">${RATINGS.map(
        ([value, key], i) => `<label class="rating"><input type="radio" name="rating" value="${esc(value)}"${i === 0 ? " required" : ""} /><span>${esc(t(key))}</span></label>`,
      ).join("")}</div></fieldset>
      <label class="field" for="rate-note">${esc(t("res.rate.comment"))}</label>
      <textarea id="rate-note" rows="2"></textarea>
      <button type="submit" class="btn block">${esc(t("res.rate.send"))}</button></form>`;
  } else {
    rating = `<p class="muted small">${esc(t("res.rate.wait"))}</p>`;
  }
  box.innerHTML = `<article class="card">
      <p class="state-line"><span class="muted">${esc(t("res.state"))}</span>
        <span class="pill state-${esc(c.state)}" id="case-state">${esc(stateLabel(c.state))}</span></p>
      <p class="case-text">${esc(c.text)}</p>
      <dl class="facts">
        <div><dt>${esc(t("disp.category"))}</dt><dd>${esc(categoryLabel(c.category))}</dd></div>
        ${c.place ? `<div><dt>${esc(t("disp.location"))}</dt><dd id="case-place">${esc(c.place)}</dd></div>` : ""}
        <div><dt>${esc(t("res.resolve_due"))}</dt><dd id="case-due">${esc(when(c.resolve_due))}
          <span class="muted small">${esc(t("res.resolve_due.hint"))}</span></dd></div>
      </dl>
      ${(c.photos ?? []).length ? `<section aria-label="${esc(t("res.photos.yours"))}"><div class="previews" id="case-photos">${c.photos
        .map((u, i) => `<a href="${esc(u)}" target="_blank" rel="noopener"><img src="${esc(u)}" alt="${esc(t("res.photos.yours"))} ${i + 1}" /></a>`)
        .join("")}</div></section>` : ""}
      ${(c.after_photos ?? []).length ? `<section aria-labelledby="h-after"><h2 id="h-after">${esc(t("res.photos.after"))}</h2><div class="previews" id="case-after-photos">${c.after_photos
        .map((u, i) => `<a href="${esc(u)}" target="_blank" rel="noopener"><img src="${esc(u)}" alt="${esc(t("res.photos.after"))} ${i + 1}" /></a>`)
        .join("")}</div></section>` : ""}
      ${token() ? `<p><button type="button" class="btn secondary" id="claim">${esc(t("res.acct.claim"))}</button></p>` : ""}
      ${rating}
      ${notices}
      <h2>${esc(t("res.progress"))}</h2>
      <ol class="timeline">${events}</ol></article>`;
  document.getElementById("rate-form")?.addEventListener("submit", rate);
  document.getElementById("claim")?.addEventListener("click", claim);
}

// --- account: sign in, claim by tracking code, prove a phone ------------------------------
const session = tokenStore(RESIDENT_TOKEN); // shared with /volunteer
const token = () => session.get();

function acctMessage(text, error = false) {
  const out = document.getElementById("acct-msg");
  out.textContent = text;
  out.classList.toggle("error", error);
}

async function renderAccount() {
  const tok = token();
  document.getElementById("login-form").hidden = Boolean(tok);
  document.getElementById("acct-in").hidden = !tok;
  if (!tok) return;
  try {
    const me = await api("/api/auth/me", { token: tok });
    document.getElementById("acct-who").textContent = `${me.username}${me.phone_verified ? ` · ${t("res.acct.verified")}` : ""}`;
    const cases = await api("/api/cases", { token: tok });
    document.getElementById("acct-cases").innerHTML = cases.length
      ? cases
          .map((c) => `<li><button type="button" class="link" data-code="${esc(c.tracking_code)}">${esc(c.tracking_code)}</button> ${esc(stateLabel(c.state))} · ${esc(c.text.slice(0, 40))}</li>`)
          .join("")
      : `<li class="muted">${esc(t("res.acct.none"))}</li>`;
  } catch (ex) {
    if (ex.status === 401) session.forget();
    acctMessage(errorText(ex), true);
  }
}

async function signIn(register) {
  const username = document.getElementById("acct-user").value.trim();
  const password = document.getElementById("acct-pass").value;
  try {
    if (register) await api("/api/auth/register", { method: "POST", body: { username, password } });
    session.keep(await requestToken(username, password));
    acctMessage(register ? t("res.acct.registered") : "");
    await renderAccount();
    renderCase();
  } catch (ex) {
    acctMessage(errorText(ex), true);
  }
}

document.getElementById("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(false);
});
document.getElementById("acct-register").addEventListener("click", () => signIn(true));
document.getElementById("acct-logout").addEventListener("click", async () => {
  await signOut(session);
  acctMessage("");
  renderAccount();
  renderCase();
});
document.getElementById("acct-send").addEventListener("click", async () => {
  const phone = document.getElementById("acct-phone").value.trim();
  try {
    await api("/api/auth/phone/code", { method: "POST", token: token(), body: { phone } });
    acctMessage(t("res.acct.sent"));
    document.getElementById("acct-code").focus();
  } catch (ex) {
    acctMessage(errorText(ex), true);
  }
});
document.getElementById("phone-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const phone = document.getElementById("acct-phone").value.trim();
  const code = document.getElementById("acct-code").value.trim();
  try {
    await api("/api/auth/phone/verify", { method: "POST", token: token(), body: { phone, code } });
    acctMessage(t("res.acct.verified"));
    renderAccount();
  } catch (ex) {
    acctMessage(errorText(ex), true);
  }
});
document.getElementById("acct-cases").addEventListener("click", (e) => {
  const b = e.target.closest("button[data-code]");
  if (b) track(b.dataset.code);
});

async function claim() {
  try {
    await api(`/api/track/${encodeURIComponent(current.code)}/claim`, { method: "POST", token: token() });
    toast(t("res.acct.claimed"));
    renderAccount();
  } catch (ex) {
    toast(errorText(ex), "error");
  }
}

function ratingLabel(value) {
  const hit = RATINGS.find(([v]) => v === value);
  return hit ? t(hit[1]) : value;
}

async function rate(e) {
  e.preventDefault();
  const chosen = e.target.querySelector("input[name=rating]:checked");
  if (!chosen) return;
  const note = document.getElementById("rate-note").value.trim();
  try {
    current = {
      ...(await api(`/api/track/${encodeURIComponent(current.code)}/rating`, {
        method: "POST",
        body: { rating: chosen.value, ...(note ? { note } : {}) },
      })),
      code: current.code,
    };
    toast(t("res.rate.thanks"));
    renderCase();
  } catch (ex) {
    toast(errorText(ex), "error");
  }
}

onLangChange(() => {
  renderPoint();
  renderPhotos();
  renderCase();
  renderAccount();
});

async function main() {
  renderPoint();
  renderMine();
  await loadVocabulary();
  renderAccount();
  await drawBase(map).catch(() => null);
  const code = new URLSearchParams(location.search).get("code");
  if (code) await track(code);
  document.body.dataset.ready = "yes";
}

main();
