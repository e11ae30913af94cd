// A city's programme of complete communities: share complete against the target, districts
// and subdistricts ranked by the index, communities newly complete, projects late.
import "./style.css";
import { api, ApiError, esc, initPage, num } from "./common.js";
import { onLangChange, pick, t } from "./i18n.js";

const state = { doc: null, kinds: new Map(), available: null };

initPage();

function pct(share) {
  return share === null || share === undefined ? "–" : `${num(share * 100, 1)}%`;
}

function kindName(key) {
  const k = state.kinds.get(key);
  return k ? pick(k.name_zh, k.name_en) : key;
}

function targetCell(row) {
  if (row.target === null) return `<span class="muted">${esc(t("prog.target.none"))}</span>`;
  const pill = row.target_met
    ? `<span class="pill ok">${esc(t("prog.target.met"))}</span>`
    : `<span class="pill bad">${esc(t("prog.target.notmet"))}</span>`;
  return `${pct(row.target)} ${pill}`;
}

function renderSummary() {
  const s = state.doc.summary;
  document.getElementById("period").textContent = t("prog.period", { first: s.first, last: s.last });
  const share = s.share_complete ?? 0;
  const target = s.target;
  const bar = `<div class="progress-bar" role="img" aria-label="${esc(t("prog.share"))} ${pct(share)}">
      <span class="fill" style="width:${Math.min(100, share * 100)}%"></span>
      ${target === null ? "" : `<span class="mark" style="left:calc(${Math.min(100, target * 100)}% - 1px)"></span>`}
    </div>`;
  const cell = (label, value, cls = "") =>
    `<div class="stat ${cls}"><span class="v">${value}</span><span class="k">${esc(label)}</span></div>`;
  document.getElementById("summary").innerHTML = `
    <div class="prog-stats">
      ${cell(t("prog.communities"), num(s.communities))}
      ${cell(t("prog.complete"), `${num(s.complete_first)} → ${num(s.complete_last)}`, "complete")}
      ${cell(t("prog.share"), pct(share))}
      ${cell(t("prog.target", { year: s.year }), target === null ? "–" : pct(target), s.target_met === false ? "incomplete" : "complete")}
      ${cell(t("prog.became"), num(s.became_complete), "complete")}
      ${cell(t("prog.residents"), num(s.residents_newly_complete))}
      ${cell(t("prog.late"), num(s.projects_late), s.projects_late ? "incomplete" : "")}
    </div>
    ${bar}
    <p class="small">${target === null ? esc(t("prog.target.none")) : `${esc(t("prog.target", { year: s.year }))} ${pct(target)} · ${
      s.target_met ? `<span class="pill ok">${esc(t("prog.target.met"))}</span>` : `<span class="pill bad">${esc(t("prog.target.notmet"))}</span>`
    }`}</p>`;
}

function rankTable(rows, { withDistrict }) {
  const max = Math.max(1, ...rows.map((r) => r.index ?? 0));
  const head = `<thead><tr>
    <th scope="col">${esc(t("prog.rank"))}</th>
    <th scope="col">${esc(t(withDistrict ? "prog.subdistrict" : "prog.district"))}</th>
    ${withDistrict ? `<th scope="col" class="col-district">${esc(t("prog.district"))}</th>` : ""}
    <th scope="col" class="n">${esc(t("prog.col.complete"))}</th>
    <th scope="col" class="n">${esc(t("prog.col.share"))}</th>
    <th scope="col">${esc(t("prog.col.target"))}</th>
    <th scope="col" title="${esc(t("prog.index.hint"))}">${esc(t("prog.col.index"))}</th></tr></thead>`;
  const body = rows
    .map(
      (r) => `<tr>
      <td class="n">${num(r.rank)}</td>
      <th scope="row">${esc(r.area)}</th>
      ${withDistrict ? `<td class="col-district">${esc(r.district ?? "")}</td>` : ""}
      <td class="n">${num(r.complete)} / ${num(r.communities)}</td>
      <td class="n">${pct(r.share_complete)}</td>
      <td>${targetCell(r)}</td>
      <td class="n"><span class="bar" style="width:${Math.round((48 * (r.index ?? 0)) / max)}px"></span>${num(r.index, 1)}</td></tr>`,
    )
    .join("");
  return head + `<tbody>${body}</tbody>`;
}

function kindList(text) {
  return String(text || "").split(";").filter(Boolean).map(kindName).join("、");
}

function renderChanges() {
  // newly complete first, then the others whose kinds changed
  const changes = [...state.doc.changes].sort((a, b) => Number(b.became_complete) - Number(a.became_complete));
  document.getElementById("changes").innerHTML = changes.length
    ? `<ul class="changes-list">${changes
        .map(
          (c) => `<li><b>${esc(c.name || c.id)}</b>
            ${c.became_complete ? `<span class="pill ok">${esc(t("prog.became.pill"))}</span>` : ""}
            ${c.kinds_closed ? `<span class="small">${esc(t("prog.closed", { kinds: kindList(c.kinds_closed) }))}</span>` : ""}
            ${c.kinds_opened ? `<span class="small error">${esc(t("prog.opened", { kinds: kindList(c.kinds_opened) }))}</span>` : ""}</li>`,
        )
        .join("")}</ul>`
    : `<p class="muted">${esc(t("prog.changes.none"))}</p>`;
}

function renderLate() {
  const late = state.doc.late;
  const names = new Map(state.doc.communities.map((c) => [c.id, c.name]));
  document.getElementById("late").innerHTML = late.length
    ? `<table class="rank-table"><thead><tr>
        <th scope="col">${esc(t("prog.col.community"))}</th><th scope="col">${esc(t("prog.col.kind"))}</th>
        <th scope="col">${esc(t("prog.col.stage"))}</th><th scope="col" class="n">${esc(t("prog.col.days"))}</th></tr></thead><tbody>${late
        .map(
          (r) => `<tr><th scope="row">${esc(names.get(String(r.community_id)) || r.community_id)}${r.site ? `<br /><span class="small muted">${esc(r.site)}</span>` : ""}</th>
          <td>${esc(kindName(r.kind))}</td>
          <td>${esc(t(`stage.${r.stage}`))}<br /><span class="small muted">${esc(t("prog.col.due", { stage: t(`stage.${r.late_stage}`) }))} ${esc(r.due)}</span></td>
          <td class="n">${num(r.days_late)}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : `<p class="muted">${esc(t("prog.late.none"))}</p>`;
}

function render() {
  renderSummary();
  document.getElementById("districts").innerHTML = rankTable(state.doc.districts, { withDistrict: false });
  document.getElementById("subdistricts").innerHTML = rankTable(state.doc.subdistricts, { withDistrict: true });
  renderChanges();
  renderLate();
}

async function main() {
  try {
    state.available = await api("/api/plan/available");
    if (!state.available.progress) throw new ApiError(404, "no progress");
    state.doc = await api("/api/plan/progress");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      document.getElementById("noprogress").hidden = false;
      document.body.dataset.ready = "none";
      return;
    }
    throw err;
  }
  // kind names from the served audit (without one, the programme's keys are shown)
  if (state.available.audit) for (const k of await api("/api/audit/kinds")) state.kinds.set(k.key, k);
  for (const id of ["summary-card", "districts-card", "subdistricts-card", "changes-card", "late-card", "index-note"])
    document.getElementById(id).hidden = false;
  render();
  document.body.dataset.ready = "yes";
}

onLangChange(() => {
  if (state.doc) render();
});

main().catch((err) => {
  document.body.dataset.ready = "error";
  const p = document.getElementById("noprogress");
  p.hidden = false;
  p.textContent = `${t("common.error")}: ${err.message}`;
});
