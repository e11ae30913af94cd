// The staff view of 双报到: tasks in the caller's scope with their state and claimant
// (masked), suggestions nearest first, the check-in / check-out codes for the place,
// publishing a dispatched case as a task, the registry (masked) and the units' quarterly
// report. Grid workers see their grid; dispatchers and administrators everything.
import "./style.css";
import {
  api,
  bindSignInForm,
  errorText,
  esc,
  initPage,
  num,
  show,
  showMessage,
  signOut,
  STAFF_TOKEN,
  toast,
  tokenStore,
  tOr,
  when,
} from "./common.js";
import { onLangChange, t } from "./i18n.js";

const session = tokenStore(STAFF_TOKEN); // shared with the dispatcher console
const token = () => session.get();
let role = null;

initPage();

const stateLabel = (state) => tOr(`vs.state.${state}`, state);

function actions(task) {
  const b = (cls, key) =>
    `<button type="button" class="btn small secondary ${cls}" data-task="${task.id}">${esc(t(key))}</button>`;
  const out = [];
  if (task.state === "open") out.push(b("matches", "vs.matches"));
  if (task.state === "claimed") out.push(b("code-in", "vs.code.in"));
  if (task.state === "in_progress") out.push(b("code-out", "vs.code.out"));
  if (task.state === "open" || task.state === "claimed") out.push(b("cancel", "vs.cancel"));
  return out.join(" ");
}

async function loadTasks() {
  const tasks = await api("/api/volunteers/tasks", { token: token() });
  document.querySelector("#task-table tbody").innerHTML = tasks.length
    ? tasks
        .map(
          (task) => `<tr data-task="${task.id}">
            <td>${esc(task.title)} <span class="muted small">#${task.case_id}</span></td>
            <td>${esc(when(task.starts_at))}</td>
            <td>${esc(task.grid_name ?? task.grid ?? "")}</td>
            <td><span class="pill">${esc(stateLabel(task.state))}</span></td>
            <td>${esc(task.claimant ?? "")}</td>
            <td>${actions(task)}</td>
          </tr>`,
        )
        .join("")
    : `<tr><td colspan="6" class="muted">${esc(t("vs.tasks.none"))}</td></tr>`;
}

async function loadVolunteers() {
  const vols = await api("/api/volunteers/registry", { token: token() });
  document.querySelector("#vol-table tbody").innerHTML = vols
    .map(
      (v) => `<tr><td>${esc(v.name)}</td><td>${esc(v.kind_label)}</td><td>${esc(v.phone)}</td>
        <td>${esc(v.grid_name)}</td><td>${esc(v.unit ?? "")}</td><td>${esc((v.skill_labels || []).join("、"))}</td></tr>`,
    )
    .join("");
}

async function loadSkills() {
  const skills = await api("/api/volunteers/skills", { token: token() });
  const sel = document.getElementById("p-skill");
  sel.innerHTML = `<option value="">${esc(t("vs.skill.none"))}</option>${Object.entries(skills)
    .map(([k, label]) => `<option value="${esc(k)}">${esc(label)}</option>`)
    .join("")}`;
}

async function load() {
  const tok = token();
  show("login-view", !tok);
  show("desk", false);
  show("signout", Boolean(tok));
  if (!tok) return;
  try {
    const me = await api("/api/auth/me", { token: tok });
    role = me.role;
    document.getElementById("whoami").textContent = me.username;
    show("report-card", role === "dispatcher" || role === "admin");
    show("desk", true);
    await Promise.all([loadTasks(), loadVolunteers(), loadSkills()]);
  } catch (ex) {
    if (ex.status === 401) {
      session.forget();
      show("login-view", true);
      show("desk", false);
      return;
    }
    showMessage(errorText(ex), true);
  }
}

bindSignInForm(async (tok) => {
  session.keep(tok);
  await load();
});

document.getElementById("signout").addEventListener("click", async () => {
  await signOut(session);
  await load();
});

document.getElementById("refresh").addEventListener("click", () => load());

document.getElementById("task-table").addEventListener("click", async (e) => {
  const btn = e.target.closest("button[data-task]");
  if (!btn) return;
  const id = btn.dataset.task;
  const detail = document.getElementById("task-detail");
  try {
    if (btn.classList.contains("matches")) {
      const rows = await api(`/api/volunteers/tasks/${id}/matches`, { token: token() });
      detail.innerHTML = `<h3>${esc(t("vs.matches"))}</h3>${
        rows.length
          ? `<ol>${rows
              .map(
                (r) =>
                  `<li>${esc(r.name)} · ${esc(r.grid_name ?? r.grid)} · ${esc(t("vol.walk", { m: num(r.distance_m), min: r.walk_min }))}</li>`,
              )
              .join("")}</ol>`
          : `<p class="muted">${esc(t("vs.matches.none"))}</p>`
      }`;
    } else if (btn.classList.contains("code-in") || btn.classList.contains("code-out")) {
      const step = btn.classList.contains("code-in") ? "checkin" : "checkout";
      const out = await api(`/api/volunteers/tasks/${id}/codes`, {
        method: "POST",
        token: token(),
        body: { step },
      });
      detail.innerHTML = `<p class="card code-shown"><strong>${esc(
        t(step === "checkin" ? "vs.code.in" : "vs.code.out"),
      )}：<span class="code">${esc(out.code)}</span></strong><br /><span class="small muted">${esc(
        t(out.sms_to_resident ? "vs.code.sms" : "vs.code.nosms"),
      )} · ${esc(when(out.expires_at))}</span></p>`;
    } else if (btn.classList.contains("cancel")) {
      const reason = prompt(t("vs.cancel.reason"));
      if (!reason) return;
      await api(`/api/volunteers/tasks/${id}/cancel`, { method: "POST", token: token(), body: { reason } });
      toast(t("vs.cancelled"));
      await loadTasks();
    }
  } catch (ex) {
    showMessage(errorText(ex), true);
  }
});

function localToIso(value) {
  // a datetime-local value is the browser's local time; send it with its offset
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

document.getElementById("publish-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = {
    case_id: Number(document.getElementById("p-case").value),
    starts_at: localToIso(document.getElementById("p-start").value),
    ends_at: localToIso(document.getElementById("p-end").value),
  };
  const title = document.getElementById("p-title").value.trim();
  const skill = document.getElementById("p-skill").value;
  if (title) body.title = title;
  if (skill) body.skill = skill;
  try {
    await api("/api/volunteers/tasks", { method: "POST", token: token(), body });
    toast(t("vs.published"));
    showMessage("");
    await loadTasks();
  } catch (ex) {
    showMessage(errorText(ex), true);
  }
});

document.getElementById("report-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const format = e.submitter?.dataset.format ?? "xlsx";
  const quarter = document.getElementById("quarter").value.trim();
  try {
    const res = await fetch(
      `/api/volunteers/reports/units?quarter=${encodeURIComponent(quarter)}&format=${format}`,
      { headers: { Authorization: `Bearer ${token()}` } },
    );
    if (!res.ok) throw new Error(String(res.status));
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = `units-${quarter}.${format}`;
    if (format === "html") a.target = "_blank";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch {
    showMessage(t("err.other"), true);
  }
});

onLangChange(() => load());
load();
