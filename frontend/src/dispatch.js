// The dispatchers' console: queues by state with deadline countdowns, the case with its
// proposed category, likely duplicates and history, the actions the caller may take, and
// the three rates (响应率 / 解决率 / 满意率) for a period and unit.
import "./style.css";
import {
  api,
  ApiError,
  bindSignInForm,
  errorText,
  esc,
  initPage,
  num,
  signOut as endSession,
  STAFF_TOKEN,
  toast,
  tokenStore,
  when,
} from "./common.js";
import { onLangChange, t } from "./i18n.js";
import { createMap, drawBase, L } from "./map.js";
import { shrinkPhoto } from "./photos.js";
import {
  actionLabel,
  actionRequires,
  categories,
  categoryLabel,
  departmentLabel,
  departments,
  gridLabel,
  grids,
  actionsFrom,
  loadVocabulary,
  queueOrder,
  ratings,
  roleLabel,
  stateLabel,
} from "./vocab.js";

const session = tokenStore(STAFF_TOKEN);
// The queue tabs are the states of states.toml, in its order (served by /api/ui/vocabulary).
const QUEUES = () => queueOrder();

const state = {
  token: null, me: null, cases: [], queue: "submitted", selected: null, duplicates: [], photoUrls: [], outlook: null,
  afterPhotos: [], // 办结照片 chosen in the resolve form, already shrunk: { blob, name, url }
};
const MAX_AFTER_PHOTOS = 6; // the case desk keeps at most six photos of the handler per case
let miniMap = null;

initPage();

function token() {
  return state.token;
}

async function call(path, opts = {}) {
  try {
    return await api(path, { ...opts, token: token() });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signOut();
    throw err;
  }
}

// ---------------------------------------------------------------- sign-in

function showLogin() {
  document.getElementById("login-view").hidden = false;
  document.getElementById("console").hidden = true;
  document.getElementById("signout").hidden = true;
  document.getElementById("whoami").textContent = "";
  document.getElementById("username").focus();
}

async function signIn(tokenValue) {
  state.token = tokenValue;
  state.me = await call("/api/auth/me");
  if (!state.me || state.me.role === "resident") throw new ApiError(403, "role: staff only", { field: "role" });
  session.keep(tokenValue);
  document.getElementById("login-view").hidden = true;
  document.getElementById("console").hidden = false;
  document.getElementById("signout").hidden = false;
  renderWho();
  await refresh();
  state.queue = firstQueue(state.me.role, state.cases);
  renderQueues();
  renderUnits();
  setDefaultPeriod();
  await computeRates();
}

// Each role lands on its own work: the first state (in states.toml's order) from which it may
// act and that holds cases, else the first from which it may act at all.
function firstQueue(role, cases = []) {
  const mine = QUEUES().filter((s) => actionsFrom(s, role).length);
  return mine.find((s) => cases.some((c) => c.state === s)) ?? mine[0] ?? QUEUES()[0] ?? "submitted";
}

function renderWho() {
  if (!state.me) return;
  document.getElementById("whoami").textContent = `${state.me.username} · ${roleLabel(state.me.role)}`;
}

function signOut() {
  endSession(session, state.token); // not awaited: the console signs out at once
  state.token = null;
  showLogin();
}

bindSignInForm(signIn);
document.getElementById("signout").addEventListener("click", signOut);

// ---------------------------------------------------------------- queues

async function refresh() {
  state.cases = await call("/api/cases?limit=1000");
  renderQueues();
  if (state.selected) {
    const still = state.cases.find((c) => c.id === state.selected.id);
    if (still) await openCase(still.id, { focus: false });
  }
}

// The deadline the case now runs against, as the service says (next_due: sign / respond /
// resolve, from what has happened to the case; null once resolved or closed).
function dueOf(c) {
  return c.next_due ? c[`${c.next_due}_due`] : null;
}

function countdown(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const d = Math.floor(h / 24);
  const text = d >= 2 ? `${d}d ${h % 24}h` : `${h}h ${String(m).padStart(2, "0")}m`;
  return { overdue: ms < 0, text };
}

function isOverdue(c) {
  return Object.keys(c.overdue || {}).length > 0;
}

function renderQueues() {
  const counts = new Map();
  for (const c of state.cases) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  const tabs = QUEUES().map((s) => {
    const overdue = state.cases.filter((c) => c.state === s && isOverdue(c)).length;
    const on = s === state.queue;
    return `<button type="button" role="tab" aria-selected="${on}" data-state="${s}" class="qtab${on ? " on" : ""}">
      ${esc(stateLabel(s))} <span class="badge">${counts.get(s) ?? 0}</span>${overdue ? `<span class="badge bad" title="${esc(t("disp.overdue"))}">${overdue}</span>` : ""}</button>`;
  });
  document.getElementById("queue-tabs").innerHTML = tabs.join("");
  const rows = state.cases
    .filter((c) => c.state === state.queue)
    .sort((a, b) => (dueOf(a) ?? a.submitted_at).localeCompare(dueOf(b) ?? b.submitted_at));
  document.getElementById("queue").innerHTML = rows.length
    ? rows.map(queueItem).join("")
    : `<li class="muted empty">${esc(t("disp.empty"))}</li>`;
}

function queueItem(c) {
  const due = dueOf(c);
  const cd = due ? countdown(due) : null;
  const overdue = isOverdue(c) || cd?.overdue;
  const sel = state.selected?.id === c.id;
  return `<li><button type="button" class="qitem${overdue ? " overdue" : ""}${sel ? " on" : ""}" data-id="${c.id}" aria-current="${sel}">
    <span class="qhead"><strong>#${c.id}</strong> <span class="muted small">${esc(categoryLabel(c.category))}</span></span>
    <span class="qtext">${esc(c.text.slice(0, 60))}${c.text.length > 60 ? "…" : ""}</span>
    ${cd ? `<span class="due ${cd.overdue ? "bad" : ""}">${cd.overdue ? `⚠ ${esc(t("disp.overdue"))} ${cd.text}` : `${esc(t("disp.deadline"))} ${cd.text} ${esc(t("disp.left"))}`}</span>` : ""}
  </button></li>`;
}

document.getElementById("queue-tabs").addEventListener("click", (e) => {
  const b = e.target.closest("[data-state]");
  if (!b) return;
  state.queue = b.dataset.state;
  renderQueues();
});
document.getElementById("queue").addEventListener("click", (e) => {
  const b = e.target.closest("[data-id]");
  if (b) openCase(Number(b.dataset.id));
});
document.getElementById("refresh").addEventListener("click", () => refresh().catch((e) => toast(errorText(e), "error")));
// Countdowns tick every 30 s; new cases are fetched every 2 minutes.
setInterval(() => {
  if (state.token && !document.getElementById("console").hidden) renderQueues();
}, 30_000);
setInterval(() => {
  if (state.token && !document.getElementById("console").hidden && !document.hidden) {
    call("/api/cases?limit=1000")
      .then((cases) => {
        state.cases = cases;
        renderQueues();
      })
      .catch(() => null);
  }
}, 120_000);

// ---------------------------------------------------------------- duplicates

/** True when case `a` came in before case `b` (a later report is merged into an earlier one). */
function earlier(a, b) {
  return a.submitted_at < b.submitted_at || (a.submitted_at === b.submitted_at && a.id < b.id);
}

/** The server's candidates (GET /api/cases/{id}/duplicates: near, recent, similar text, best
 * first, with the phrases both texts share); only dispatchers and administrators may ask. */
async function loadDuplicates(c) {
  if (!["dispatcher", "admin"].includes(state.me?.role)) return [];
  try {
    const found = await call(`/api/cases/${c.id}/duplicates`);
    return found.map((o) => ({
      case: { id: o.id, state: o.state, text: o.text, category: o.category, submitted_at: o.submitted_at },
      d: o.distance_m,
      sim: o.similarity,
      phrases: o.matched_phrases ?? [],
    }));
  } catch {
    return []; // the case view still works without candidates
  }
}

// ---------------------------------------------------------------- one case

async function loadPhotos(names, boxId = "photos", fresh = true) {
  if (fresh) {
    for (const u of state.photoUrls) URL.revokeObjectURL(u);
    state.photoUrls = [];
  }
  const box = document.getElementById(boxId);
  if (!box) return;
  const label = boxId === "photos" ? t("disp.photos") : t("disp.after");
  let n = 0;
  for (const name of names) {
    try {
      const src = name.startsWith("/") ? name : `/api/photos/${encodeURIComponent(name)}`;
      const res = await fetch(src, {
        headers: { Authorization: `Bearer ${token()}` },
      });
      if (!res.ok) continue;
      const url = URL.createObjectURL(await res.blob());
      state.photoUrls.push(url);
      const a = document.createElement("a");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener";
      n += 1;
      a.innerHTML = `<img src="${url}" alt="${esc(label)} ${n}" />`;
      box.append(a);
    } catch {
      /* a missing photo does not stop the page */
    }
  }
}

async function openCase(id, { focus = true } = {}) {
  const c = await call(`/api/cases/${id}`);
  state.duplicates = await loadDuplicates(c);
  state.selected = c;
  renderQueues();
  renderCase();
  if (focus) document.getElementById("detail").focus();
}

function fieldFor(req, c, candidates) {
  if (req === "category") {
    // 确认/改派分类: the current category is preselected, so submitting unchanged confirms it.
    const opts = Object.entries(categories())
      .filter(([, x]) => x.leaf)
      .map(([k]) => `<option value="${esc(k)}"${k === c.category ? " selected" : ""}>${esc(categoryLabel(k))}</option>`)
      .join("");
    const note = t("disp.note.optional");
    return `<label class="field" for="f-category">${esc(t("disp.category"))}</label><select id="f-category" name="category" required>${opts}</select>
      <label class="field" for="f-note">${esc(note)}</label><textarea id="f-note" name="note" rows="2"></textarea>`;
  }
  if (req === "department") {
    const opts = departments()
      .map((d) => `<option value="${esc(d.key)}"${d.key === c.department ? " selected" : ""}>${esc(d.name)}</option>`)
      .join("");
    // 派单 to a grid: its grid workers see the case; "by location" keeps the grid of the pin.
    const gridOpts = grids()
      .map((g) => `<option value="${esc(g.key)}"${g.key === c.grid ? " selected" : ""}>${esc(gridLabel(g.key))}</option>`)
      .join("");
    return `<label class="field" for="f-department">${esc(t("disp.unit"))}</label><select id="f-department" name="department" required>${opts}</select>
      <label class="field" for="f-grid">${esc(t("disp.grid"))}</label><select id="f-grid" name="grid"><option value=""${c.grid ? "" : " selected"}>${esc(t("disp.grid.auto"))}</option>${gridOpts}</select>`;
  }
  if (req === "merged_into") {
    const first = candidates[0]?.case.id ?? "";
    return `<label class="field" for="f-merged">${esc(t("disp.merge"))} #</label><input id="f-merged" name="merged_into" type="number" min="1" required value="${first}" />`;
  }
  if (req === "rating") {
    return `<label class="field" for="f-rating">${esc(t("res.rate"))}</label><select id="f-rating" name="rating">${ratings().map((r) => `<option>${esc(r)}</option>`).join("")}</select>`;
  }
  const [label, hint] = req === "reason"
    ? [t("disp.reason"), t("disp.reason.placeholder")]
    : [t("disp.note"), t("disp.note.placeholder")];
  return `<label class="field" for="f-${req}">${esc(label)}</label>
    <textarea id="f-${req}" name="${req}" rows="2" required placeholder="${esc(hint)}"></textarea>`;
}

function renderCase() {
  const c = state.selected;
  document.getElementById("detail-empty").hidden = Boolean(c);
  const view = document.getElementById("case-view");
  if (!c) {
    view.innerHTML = "";
    return;
  }
  const candidates = state.duplicates;
  const proposed = c.proposed_category
    ? `${esc(categoryLabel(c.proposed_category))}${c.proposed_confidence != null ? ` <span class="muted small">(${num(c.proposed_confidence * 100)}%)</span>` : ""}`
    : "–";
  const dupes = candidates.length
    ? `<ul class="dupes">${candidates
        .map(
          (x) => `<li><button type="button" class="link" data-open="${x.case.id}">#${x.case.id}</button>
        <span class="pill muted">${esc(stateLabel(x.case.state))}</span>
        ${esc(x.case.text.slice(0, 40))}
        <span class="muted small">${x.d === null ? "" : `${num(x.d)} ${esc(t("common.m"))} · `}${num(x.sim * 100)}%</span>
        ${x.phrases.length ? `<span class="phrases small">${x.phrases.slice(0, 3).map((p) => `<mark>${esc(p)}</mark>`).join(" ")}</span>` : ""}
        ${c.actions.includes("merge") && earlier(x.case, c) ? `<button type="button" class="btn small secondary" data-merge="${x.case.id}">${esc(t("disp.merge"))} #${x.case.id}</button>` : ""}</li>`,
        )
        .join("")}</ul>`
    : `<p class="muted small">${esc(t("disp.duplicates.none"))}</p>`;
  const deadlines = ["sign_due", "respond_due", "resolve_due"]
    .map((k) => {
      const cd = countdown(c[k]);
      const missed = c.overdue?.[k.replace("_due", "")] !== undefined;
      return `<div><dt>${esc(t(`disp.${k}`))}</dt><dd class="${missed ? "bad" : ""}">${esc(when(c[k]))}${!["closed", "merged", "rejected", "resolved"].includes(c.state) && cd.overdue ? ` ⚠` : ""}</dd></div>`;
    })
    .join("");
  const actions = c.actions
    .filter((a) => a !== "rate")
    .map((a) => `<button type="button" class="btn${["reject", "return"].includes(a) ? " secondary" : ""}" data-action="${a}">${esc(actionLabel(a))}</button>`)
    .join("");
  const events = (c.events ?? [])
    .map(
      (ev) => `<li><span class="when">${esc(when(ev.at))}</span> <strong>${esc(actionLabel(ev.action))}</strong>
        ${ev.from_state ? `${esc(stateLabel(ev.from_state))} → ` : ""}${esc(stateLabel(ev.to_state))}
        <span class="muted small">${esc(roleLabel(ev.actor_role))}</span>${ev.note ? `<div class="note">${esc(ev.note)}</div>` : ""}</li>`,
    )
    .join("");
  view.innerHTML = `<article class="card case">
    <header class="row between wrap">
      <h3>#${c.id} · <span class="pill state-${esc(c.state)}" id="detail-state">${esc(stateLabel(c.state))}</span>
        ${isOverdue(c) ? `<span class="pill bad">${esc(t("disp.overdue"))}</span>` : ""}</h3>
      <span class="muted small">${esc(when(c.submitted_at))}</span>
    </header>
    <p class="case-text">${esc(c.text)}</p>
    <div class="case-grid">
      <dl class="facts">
        <div><dt>${esc(t("disp.category"))}</dt><dd id="category">${esc(categoryLabel(c.category))}${c.category_source === "staff" ? ` <span class="pill small" id="category-confirmed">${esc(t("disp.confirmed"))}</span>` : ""}</dd></div>
        <div><dt>${esc(t("disp.proposed"))}</dt><dd id="proposed">${proposed}</dd></div>
        <div><dt>${esc(t("disp.unit"))}</dt><dd>${esc(departmentLabel(c.department))}</dd></div>
        <div><dt>${esc(t("disp.grid"))}</dt><dd id="case-grid">${esc(gridLabel(c.grid))}</dd></div>
        <div><dt>${esc(t("disp.reporter"))}</dt><dd>${esc(c.contact?.name ?? "–")} ${esc(c.contact?.phone ?? "")}</dd></div>
        <div><dt>${esc(t("disp.location"))}</dt><dd id="case-location">${c.lon != null ? (c.place ? `${esc(c.place)} <span class="muted small">${c.lat.toFixed(5)}, ${c.lon.toFixed(5)}</span>` : `${c.lat.toFixed(5)}, ${c.lon.toFixed(5)}`) : esc(c.address ?? "–")}</dd></div>
        ${deadlines}
      </dl>
      <div id="mini-map" class="mini-map" aria-label="${esc(t("disp.location"))}"></div>
    </div>
    <div id="photos" class="previews"></div>
    ${(c.after_photos ?? []).length ? `<section aria-labelledby="h-after"><h4 id="h-after">${esc(t("disp.after"))}</h4><div id="after-photos" class="previews"></div></section>` : ""}
    <section aria-labelledby="h-dupes"><h4 id="h-dupes">${esc(t("disp.duplicates"))}</h4>${dupes}</section>
    <section aria-labelledby="h-actions"><h4 id="h-actions">${esc(t("disp.actions"))}</h4>
      <div class="actions row gap wrap">${actions || `<span class="muted small">–</span>`}</div>
      <form id="action-form" class="action-form" hidden></form>
    </section>
    <section aria-labelledby="h-history"><h4 id="h-history">${esc(t("disp.history"))}</h4><ol class="timeline">${events}</ol></section>
  </article>`;
  drawMini(c);
  loadPhotos(c.photos ?? [], "photos").then(() => loadPhotos(c.after_photos ?? [], "after-photos", false));
}

async function drawMini(c) {
  const el = document.getElementById("mini-map");
  if (miniMap) {
    miniMap.remove();
    miniMap = null;
  }
  const mini = createMap(el, { zoom: 17, animate: false });
  miniMap = mini;
  await drawBase(mini).catch(() => null);
  if (miniMap !== mini) return; // another case was opened meanwhile
  if (c.lon != null) {
    L.circleMarker([c.lat, c.lon], { radius: 8, color: "#fff", weight: 2, fillColor: "#d73027", fillOpacity: 1 }).addTo(miniMap);
    miniMap.setView([c.lat, c.lon], 17);
  }
}

function showActionForm(action, presetMerge) {
  const c = state.selected;
  const form = document.getElementById("action-form");
  const req = actionRequires(action);
  const candidates = state.duplicates;
  if (!req.length) {
    doAction(action, {});
    return;
  }
  form.hidden = false;
  form.dataset.action = action;
  clearAfterPhotos();
  const photoField = action === "resolve"
    ? `<label class="field" for="f-after">${esc(t("disp.after.add"))}</label>
      <input id="f-after" type="file" accept="image/*" multiple />
      <p id="after-status" class="muted small" aria-live="polite"></p>
      <div id="after-previews" class="previews" data-count="0"></div>`
    : "";
  form.innerHTML = `${req.map((r) => fieldFor(r, c, candidates)).join("")}${photoField}
    <div class="row gap"><button type="submit" class="btn">${esc(actionLabel(action))}</button>
    <button type="button" class="btn secondary" id="action-cancel">${esc(t("common.close"))}</button></div>`;
  if (presetMerge) form.querySelector("[name=merged_into]").value = presetMerge;
  form.querySelector("input, select, textarea")?.focus();
  document.getElementById("action-cancel").addEventListener("click", () => {
    form.hidden = true;
  });
}

// ---------------------------------------------------------------- 办结照片 (after photos)

function clearAfterPhotos() {
  for (const p of state.afterPhotos) URL.revokeObjectURL(p.url);
  state.afterPhotos = [];
}

function renderAfterPreviews() {
  const box = document.getElementById("after-previews");
  if (!box) return;
  box.innerHTML = state.afterPhotos
    .map(
      (p, i) => `<figure class="preview"><img src="${esc(p.url)}" alt="${esc(t("disp.after"))} ${i + 1}" />
        <button type="button" class="remove" data-remove-after="${i}" aria-label="${esc(t("res.photos.remove", { n: i + 1 }))}">×</button></figure>`,
    )
    .join("");
  box.dataset.count = String(state.afterPhotos.length);
  const input = document.getElementById("f-after");
  if (input) input.disabled = state.afterPhotos.length >= MAX_AFTER_PHOTOS;
}

// Shrunk in the browser like the residents' photos (long side 2000 px, JPEG, no EXIF).
async function addAfterPhotos(input) {
  const files = [...input.files];
  input.value = "";
  const status = document.getElementById("after-status");
  status.textContent = t("res.photos.shrinking");
  for (const file of files.slice(0, MAX_AFTER_PHOTOS - state.afterPhotos.length)) {
    try {
      const blob = await shrinkPhoto(file);
      const name = `${file.name.replace(/\.[^.]*$/, "") || "photo"}.jpg`;
      state.afterPhotos.push({ blob, name, url: URL.createObjectURL(blob) });
    } catch {
      status.textContent = t("res.photos.unreadable");
      renderAfterPreviews();
      return;
    }
  }
  status.textContent = files.length > MAX_AFTER_PHOTOS ? t("res.photos.many") : "";
  renderAfterPreviews();
}

async function uploadAfterPhotos(caseId) {
  if (!state.afterPhotos.length) return;
  const form = new FormData();
  for (const p of state.afterPhotos) form.append("photos", p.blob, p.name);
  await call(`/api/cases/${caseId}/photos`, { method: "POST", body: form });
  clearAfterPhotos();
}

async function doAction(action, fields) {
  const c = state.selected;
  try {
    // the photos first: a resolve that follows them then shows them in the same history
    if (action === "resolve") await uploadAfterPhotos(c.id);
    state.selected = await call(`/api/cases/${c.id}/actions`, { method: "POST", body: { action, ...fields } });
    toast(`${actionLabel(action)} · ${t("disp.done.ok")}`);
    state.cases = await call("/api/cases?limit=1000");
    state.duplicates = await loadDuplicates(state.selected);
    state.queue = QUEUES().includes(state.selected.state) ? state.selected.state : state.queue;
    renderQueues();
    renderCase();
    await computeRates(); // the measures follow every action
  } catch (ex) {
    toast(errorText(ex), "error");
  }
}

document.getElementById("case-view").addEventListener("click", (e) => {
  const act = e.target.closest("button[data-action]");
  if (act) showActionForm(act.dataset.action);
  const drop = e.target.closest("button[data-remove-after]");
  if (drop) {
    const [gone] = state.afterPhotos.splice(Number(drop.dataset.removeAfter), 1);
    if (gone) URL.revokeObjectURL(gone.url);
    renderAfterPreviews();
    return;
  }
  const merge = e.target.closest("button[data-merge]");
  if (merge) showActionForm("merge", merge.dataset.merge);
  const open = e.target.closest("button[data-open]");
  if (open) openCase(Number(open.dataset.open));
});

document.getElementById("case-view").addEventListener("change", (e) => {
  if (e.target.id === "f-after") addAfterPhotos(e.target);
});

document.getElementById("case-view").addEventListener("submit", (e) => {
  if (e.target.id !== "action-form") return;
  e.preventDefault();
  const fields = {};
  for (const [k, v] of new FormData(e.target)) {
    if (v === "" || typeof v !== "string") continue; // photos go up on their own
    fields[k] = k === "merged_into" ? Number(v) : v;
  }
  doAction(e.target.dataset.action, fields);
});

// ---------------------------------------------------------------- the three rates

// The measures API takes Beijing dates (a day runs from 00:00 Beijing time).
function beijingDay(ms) {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
}

function setDefaultPeriod() {
  const today = beijingDay(Date.now());
  document.getElementById("rate-from").value = `${today.slice(0, 8)}01`;
  document.getElementById("rate-to").value = beijingDay(Date.now() + 86_400_000);
}

function renderUnits() {
  const sel = document.getElementById("rate-unit");
  const keep = sel.value;
  sel.innerHTML =
    `<option value="">${esc(t("disp.period.all"))}</option>` +
    departments().map((d) => `<option value="${esc(d.key)}">${esc(d.name)}</option>`).join("");
  sel.value = keep;
}

function pct(v) {
  return v === null || v === undefined ? "–" : `${num(v * 100, 1)}%`;
}

async function computeRates(e) {
  e?.preventDefault();
  const from = document.getElementById("rate-from").value;
  const to = document.getElementById("rate-to").value;
  const unit = document.getElementById("rate-unit").value;
  const box = document.getElementById("rates");
  try {
    const rows = await call(
      `/api/measures?start=${from}&end=${to}&by=${unit ? "department" : "all"}`,
    );
    const row = unit ? rows.find((r) => r.department === unit) : rows[0];
    const cards = [
      ["disp.rate.response", row?.response_rate, row ? `${row.responded_on_time}/${row.response_judged ?? row.cases}` : ""],
      ["disp.rate.resolution", row?.resolution_rate, row ? `${row.solved}/${row.cases}` : ""],
      ["disp.rate.satisfaction", row?.satisfaction_rate, row ? `${row.satisfied}/${row.rated}` : ""],
    ];
    box.innerHTML = cards
      .map(([k, v, frac]) => `<div class="stat"><span class="v">${pct(v)}</span><span class="k">${esc(t(k))}</span><span class="muted small">${esc(frac)}</span></div>`)
      .join("");
    box.dataset.cases = row ? String(row.cases) : "0";
  } catch (ex) {
    box.innerHTML = `<p class="error">${esc(errorText(ex))}</p>`;
  }
}

document.getElementById("rates-form").addEventListener("submit", computeRates);

// ---------------------------------------------------------------- 需求预测 (demand outlook)

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
}

function breakText(b) {
  const values = { from: b.break_from ?? "", ratio: b.break_ratio === null ? "" : `${num(b.break_ratio * 100, 0)}%` };
  if (b.break === "collapse") return fill(t("disp.outlook.collapse"), values);
  if (b.break === "level shift") return fill(t("disp.outlook.shift"), values);
  if (b.break === "new series") return fill(t("disp.outlook.new"), values);
  if (b.n_origins === 0) return t("disp.outlook.short");
  return "";
}

function outlookRow(b, rows) {
  const next = rows.find((r) => r.horizon === 1);
  const total = rows.reduce((sum, r) => sum + (r.forecast ?? 0), 0);
  const withheld = b.used === "withheld";
  const value = withheld || !next ? t("disp.outlook.withheld") : num(next.forecast, 1);
  const interval = withheld || !next ? "" : `${t("disp.outlook.interval")} ${num(next.low, 0)}–${num(next.high, 0)}`;
  let judged = "";
  if (b.gain !== null && b.gain !== undefined && b.baseline) {
    const word = b.gain >= 0 ? t("disp.outlook.lower") : t("disp.outlook.higher");
    judged =
      `${t("disp.outlook.baseline")}：${t(`method.${b.baseline}`)}；` +
      `${t("disp.outlook.gain")}${word} ${num(Math.abs(b.gain) * 100, 0)}%` +
      (b.coverage === null ? "" : `；${t("disp.outlook.coverage")} ${num(b.coverage * 100, 0)}%`);
  }
  const brk = breakText(b);
  return `<div class="outlook-row" data-category="${esc(b.category)}" data-used="${esc(b.used)}" title="${esc(b.note)}">
    <div class="head"><strong>${esc(categoryLabel(b.category))}</strong><span><span class="muted small">${esc(t("disp.outlook.next"))}</span> <span class="v">${esc(value)}</span></span></div>
    <div class="muted small">${esc(interval)}${withheld ? "" : ` · ${esc(t("disp.outlook.weeks"))} ${esc(num(total, 0))}`}</div>
    <div class="small">${esc(t("disp.outlook.method"))}：${esc(t(`method.${b.used}`))}</div>
    ${judged ? `<div class="muted small">${esc(judged)}</div>` : ""}
    ${brk ? `<div class="brk small">${esc(brk)}</div>` : ""}
  </div>`;
}

async function loadOutlook() {
  const box = document.getElementById("outlook");
  box.innerHTML = `<p class="muted small">${esc(t("disp.outlook.loading"))}</p>`;
  try {
    const body = await call("/api/proactive/outlook?by=category&horizon=8&min_total=20");
    if (!body.backtest.length) {
      box.innerHTML = `<p class="muted small">${esc(t("disp.outlook.none"))}</p>`;
      return;
    }
    state.outlook = body;
    renderOutlook();
  } catch (ex) {
    box.innerHTML = `<p class="error small">${esc(ex.message)}</p>`;
  }
}

function renderOutlook() {
  const body = state.outlook;
  if (!body) return;
  document.getElementById("outlook").innerHTML = body.backtest
    .map((b) => outlookRow(b, body.forecasts.filter((r) => r.category === b.category)))
    .join("");
}

document.getElementById("outlook-load").addEventListener("click", loadOutlook);

onLangChange(() => {
  if (!state.token) return;
  renderWho();
  renderQueues();
  renderCase();
  renderUnits();
  computeRates();
  renderOutlook();
});

async function main() {
  await loadVocabulary();
  const saved = session.get();
  if (saved) {
    try {
      await signIn(saved);
    } catch {
      showLogin();
    }
  } else showLogin();
  document.body.dataset.ready = "yes";
}

main();

