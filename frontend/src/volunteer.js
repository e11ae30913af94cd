// The volunteer's phone page (双报到): tasks near home to claim, check in and out at the
// place with the code the resident (or the grid worker) gives, the hours served. The account
// is the resident account of the residents' page (one sign-in), once it proved the phone the
// community registered.
import "./style.css";
import {
  api,
  bindSignInForm,
  errorText,
  esc,
  initPage,
  num,
  RESIDENT_TOKEN,
  show,
  showMessage,
  signOut,
  toast,
  tokenStore,
  tOr,
  when,
} from "./common.js";
import { onLangChange, t } from "./i18n.js";

const session = tokenStore(RESIDENT_TOKEN); // shared with /resident
const token = () => session.get();
const LIVE = new Set(["claimed", "checked_in"]);
let me = null;

initPage();

const stateLabel = (state) => tOr(`vol.state.${state}`, state);

function taskFacts(task) {
  const parts = [`${when(task.starts_at)} – ${when(task.ends_at)}`];
  if (task.grid_name) parts.push(task.grid_name);
  if (task.distance_m !== null && task.distance_m !== undefined)
    parts.push(t("vol.walk", { m: num(task.distance_m), min: task.walk_min }));
  if (task.skill_label) parts.push(`${t("vol.skill")}：${task.skill_label}`);
  return parts.map(esc).join(" · ");
}

function claimCard(claim) {
  const task = claim.task;
  const id = task.id;
  const where = task.address ? `<p><strong>${esc(t("vol.where"))}：</strong>${esc(task.address)}</p>` : "";
  let form = "";
  if (claim.state === "claimed") {
    form = `
      <form class="stack checkin" data-task="${id}">
        <label class="field" for="in-${id}">${esc(t("vol.checkin.code"))}</label>
        <input id="in-${id}" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required />
        <button type="submit" class="btn block">${esc(t("vol.checkin"))}</button>
        <button type="button" class="btn secondary withdraw" data-task="${id}">${esc(t("vol.withdraw"))}</button>
      </form>`;
  } else if (claim.state === "checked_in") {
    form = `
      <form class="stack checkout" data-task="${id}">
        <fieldset>
          <legend class="field">${esc(t("vol.outcome"))}</legend>
          <label><input type="radio" name="done-${id}" value="yes" checked /> ${esc(t("vol.done"))}</label>
          <label><input type="radio" name="done-${id}" value="no" /> ${esc(t("vol.notdone"))}</label>
        </fieldset>
        <label class="field" for="note-${id}">${esc(t("vol.note"))}</label>
        <textarea id="note-${id}" maxlength="1000" required></textarea>
        <label class="field" for="out-${id}">${esc(t("vol.checkout.code"))}</label>
        <input id="out-${id}" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required />
        <button type="submit" class="btn block">${esc(t("vol.checkout"))}</button>
      </form>`;
  }
  return `<article class="card claim" data-task="${id}">
      <h3>${esc(task.title)} <span class="pill state-${esc(claim.state)}">${esc(stateLabel(claim.state))}</span></h3>
      <p class="small muted">${taskFacts(task)}</p>
      ${where}${form}
    </article>`;
}

async function loadClaims() {
  const claims = await api("/api/volunteers/me/claims", { token: token() });
  const live = claims.filter((c) => LIVE.has(c.state));
  document.getElementById("claims").innerHTML = live.length
    ? live.map(claimCard).join("")
    : `<p class="muted card">${esc(t("vol.claims.none"))}</p>`;
  const past = claims.filter((c) => !LIVE.has(c.state));
  document.getElementById("history").innerHTML = past.length
    ? past
        .map((c) => `<li>${esc(when(c.claimed_at))} · ${esc(c.task.title ?? "")} · ${esc(stateLabel(c.state))}</li>`)
        .join("")
    : `<li class="muted">${esc(t("vol.history.none"))}</li>`;
}

async function loadTasks() {
  const box = document.getElementById("tasks");
  try {
    const tasks = await api("/api/volunteers/me/tasks", { token: token() });
    box.innerHTML = tasks.length
      ? tasks
          .map(
            (task) => `<article class="card task" data-task="${task.id}">
              <h3>${esc(task.title)}</h3>
              <p class="small muted">${taskFacts(task)}</p>
              <button type="button" class="btn block claim-btn" data-task="${task.id}">${esc(t("vol.claim"))}</button>
            </article>`,
          )
          .join("")
      : `<p class="muted card">${esc(t("vol.tasks.none"))}</p>`;
  } catch (ex) {
    box.innerHTML = `<p class="error card">${esc(errorText(ex))}</p>`;
  }
}

async function loadRecord() {
  const rec = await api(`/api/volunteers/registry/${me.id}/record`, { token: token() });
  document.getElementById("record").textContent = t("vol.record.line", {
    h: num(rec.total_minutes / 60, 1),
    n: rec.tasks_done,
    x: rec.no_shows,
  });
}

async function load() {
  const tok = token();
  show("login-view", !tok);
  show("signout", Boolean(tok));
  show("vol-view", false);
  show("not-volunteer", false);
  if (!tok) return;
  try {
    me = await api("/api/volunteers/me", { token: tok });
    document.getElementById("vol-name").textContent = `${me.name} · ${me.kind_label}`;
    const facts = [me.unit, me.grid_name, (me.skill_labels || []).join("、")].filter(Boolean);
    document.getElementById("vol-facts").textContent = facts.join(" · ");
    show("vol-view", true);
    await Promise.all([loadClaims(), loadTasks(), loadRecord()]);
  } catch (ex) {
    if (ex.status === 401) {
      session.forget();
      show("login-view", true);
      show("signout", false);
      return;
    }
    if (ex.status === 404 && ex.field === "volunteer") {
      show("not-volunteer", true);
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

async function act(path, body, done) {
  document.body.dataset.busy = "yes";
  try {
    const out = await api(path, { method: "POST", token: token(), body });
    toast(done(out));
    showMessage("");
    await Promise.all([loadClaims(), loadTasks(), loadRecord()]);
  } catch (ex) {
    showMessage(errorText(ex), true);
    toast(errorText(ex), "error");
  } finally {
    delete document.body.dataset.busy;
  }
}

document.getElementById("tasks").addEventListener("click", (e) => {
  const btn = e.target.closest(".claim-btn");
  if (btn) act(`/api/volunteers/tasks/${btn.dataset.task}/claim`, undefined, () => t("vol.claimed"));
});

document.getElementById("claims").addEventListener("click", (e) => {
  const btn = e.target.closest(".withdraw");
  if (btn) act(`/api/volunteers/tasks/${btn.dataset.task}/withdraw`, undefined, () => t("vol.withdrawn"));
});

document.getElementById("claims").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.target;
  const id = form.dataset.task;
  if (form.classList.contains("checkin")) {
    const code = document.getElementById(`in-${id}`).value.trim();
    act(`/api/volunteers/tasks/${id}/checkin`, { code }, () => t("vol.checkedin"));
  } else if (form.classList.contains("checkout")) {
    const code = document.getElementById(`out-${id}`).value.trim();
    const note = document.getElementById(`note-${id}`).value.trim();
    const done = form.querySelector(`input[name="done-${id}"]:checked`)?.value !== "no";
    act(`/api/volunteers/tasks/${id}/checkout`, { code, done, note }, (out) =>
      t("vol.checkedout", { m: out.minutes }),
    );
  }
});

onLangChange(() => load());
load().finally(() => {
  document.body.dataset.ready = "yes";
});
