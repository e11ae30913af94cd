// The staff page of consultations: the overdue steps, the list, and one consultation's next
// step as a form (notice, meeting, vote, paper counts and their confirmation, result,
// execution, report-back). Calls the API only; the service checks every role and scope.
import "./style.css";
import {
  api,
  ApiError,
  bindSignInForm,
  esc,
  markCurrentPage,
  num,
  signOut,
  STAFF_TOKEN,
  toast,
  tokenStore,
  when,
} from "./common.js";

const STEP = { notice: "公示", meeting: "议事会", vote: "投票", result: "结果公布", execution: "执行", report_back: "反馈" };
const session = tokenStore(STAFF_TOKEN); // shared with the dispatcher console
const state = { current: null };

const call = (path, opts = {}) => api(path, { ...opts, token: session.get() });

function message(ex) {
  if (!(ex instanceof ApiError)) return "网络连接失败";
  if (ex.status === 401) return "请重新登录";
  if (ex.status === 403 && /second person/.test(ex.message)) return "录入人不能复核自己录入的票数";
  if (ex.status === 403) return "无权操作此议题";
  if (ex.status === 409 && /notice period/.test(ex.message)) return "公示期未满，不能召开议事会";
  if (ex.status === 409 && /not confirmed/.test(ex.message)) return "还有投票点的纸质票未经复核";
  if (ex.status === 409) return "当前环节不能进行此操作";
  if (ex.status === 422 || ex.status === 400) return "请检查填写的内容";
  if (ex.status === 404) return "没有找到";
  return "操作失败";
}

const field = (id, label, input = `<input id="${id}" type="text" />`) =>
  `<label class="field" for="${id}">${label}</label>${input}`;
const localNow = (days = 0) => {
  const d = new Date(Date.now() + days * 864e5 - new Date().getTimezoneOffset() * 6e4);
  return d.toISOString().slice(0, 16);
};
const iso = (id) => new Date(document.getElementById(id).value).toISOString();
const val = (id) => document.getElementById(id).value.trim();

// The next step's form: [title, fields html, () => [path, body]]
function nextAction(c) {
  const s = Object.fromEntries(c.steps.map((x) => [x.kind, x]));
  const base = `/api/consult/consultations/${c.id}`;
  if (!s.notice.done_at)
    return ["发布公示", field("f-text", "公示内容", '<textarea id="f-text"></textarea>'), () => [`${base}/notice`, { text: val("f-text") }]];
  if (!s.meeting.done_at)
    return [
      "记录议事会",
      field("f-held", "召开时间", `<input id="f-held" type="datetime-local" value="${localNow()}" />`) +
        field("f-att", "参会人数", '<input id="f-att" type="number" min="1" />') +
        field("f-who", "参会成员（逗号分隔）", '<input id="f-who" />') +
        field("f-min", "会议纪要", '<textarea id="f-min"></textarea>'),
      () => [`${base}/meeting`, { held_at: iso("f-held"), attendance: Number(val("f-att")), attendees: val("f-who").split(/[,，、]/).filter(Boolean), minutes: val("f-min") }],
    ];
  if (!s.vote.started_at)
    return ["开始投票", field("f-close", "截止时间", `<input id="f-close" type="datetime-local" value="${localNow(7)}" />`), () => [`${base}/open`, { closes_at: iso("f-close") }]];
  if (!s.result.done_at) {
    const counts = c.options.map((o) => field(`f-o${o.id}`, `方案 ${esc(o.label)} 得票`, `<input id="f-o${o.id}" type="number" min="0" value="0" />`)).join("");
    const paper = () => [
      `${base}/paper`,
      { booth: val("f-booth"), ballots: Number(val("f-ballots")), invalid: Number(val("f-invalid") || 0), counts: Object.fromEntries(c.options.map((o) => [String(o.id), Number(val(`f-o${o.id}`))])) },
    ];
    const fields =
      `<p class="small">录入纸质票（每个投票点一份小计），或${s.vote.done_at ? "公布结果" : "结束投票"}：</p>` +
      field("f-booth", "投票点") + field("f-ballots", "收回选票张数", '<input id="f-ballots" type="number" min="0" />') +
      field("f-invalid", "其中无效票", '<input id="f-invalid" type="number" min="0" value="0" />') + counts +
      `<div class="row gap"><button type="button" class="btn secondary" id="f-next">${s.vote.done_at ? "公布结果" : "结束投票"}</button></div>`;
    return ["投票与计票", fields, paper, s.vote.done_at ? [`${base}/result`, { note: "" }] : [`${base}/close`, {}]];
  }
  if (!s.execution.started_at || !("link" in (s.execution.detail ?? {})))
    return [
      "关联执行",
      field("f-link", "关联类型", '<select id="f-link"><option value="project">建设项目</option><option value="case">诉求工单</option></select>') +
        field("f-ref", "项目（社区:类型:点位）或工单编号"),
      () => [`${base}/execution`, { link: val("f-link"), ref: val("f-ref") }],
    ];
  if (!s.execution.done_at)
    return ["执行完成", field("f-note", "执行情况", '<textarea id="f-note"></textarea>'), () => [`${base}/execution/done`, { note: val("f-note") }]];
  if (!s.report_back.done_at)
    return ["向居民反馈", field("f-text", "反馈内容", '<textarea id="f-text"></textarea>'), () => [`${base}/report-back`, { text: val("f-text") }]];
  return null;
}

async function submit(path, body) {
  const err = document.getElementById("action-error");
  err.textContent = "";
  try {
    await call(path, { method: "POST", body });
    toast("已保存");
    await load();
    await open(state.current.id);
  } catch (ex) {
    err.textContent = message(ex);
  }
}

async function open(id) {
  const c = await call(`/api/consult/staff/consultations/${id}`);
  state.current = c;
  document.getElementById("detail").hidden = false;
  document.getElementById("d-title").textContent = `${c.id}. ${c.title}`;
  document.getElementById("d-summary").textContent =
    `${c.community_name || c.community_id} · 居民名册 ${num(c.electors)} 人 · 网上已投 ${num(c.voters_online)} 人`;
  document.getElementById("d-steps").innerHTML = c.steps
    .map((s) => `<li class="step ${s.done_at ? "done" : s.overdue ? "late" : ""}"><strong>${STEP[s.kind]}</strong>
      <span class="small">${s.done_at ? `已完成 ${when(s.done_at)}（${esc(s.done_by ?? "")}）` : s.overdue ? `逾期 ${num(s.days_late, 1)} 天 · ${esc(s.failure)}` : `期限 ${when(s.deadline)}`} · ${esc(s.responsible)}</span></li>`)
    .join("");
  document.getElementById("d-paper").innerHTML = c.paper.length
    ? `<table class="kinds-table"><thead><tr><th>投票点</th><th>张数</th><th>无效</th><th>录入</th><th>复核</th></tr></thead><tbody>${c.paper
        .map((p) => `<tr><td>${esc(p.booth)}</td><td>${num(p.ballots)}</td><td>${num(p.invalid)}</td><td>${esc(p.entered_by)}</td><td>${esc(p.confirmed_by ?? "待复核")}</td></tr>`)
        .join("")}</tbody></table>`
    : "";
  const pending = c.paper.filter((p) => !p.confirmed_by);
  const confirmForm = document.getElementById("confirm-form");
  confirmForm.hidden = !pending.length;
  document.getElementById("confirm-booth").innerHTML = pending.map((p) => `<option>${esc(p.booth)}</option>`).join("");
  const action = nextAction(c);
  const form = document.getElementById("action-form");
  form.hidden = !action;
  if (!action) return;
  const [title, fields, make, next] = action;
  document.getElementById("action-title").textContent = title;
  document.getElementById("action-submit").textContent = next ? "录入纸质票" : "提交";
  document.getElementById("action-fields").innerHTML = fields;
  form.onsubmit = (e) => {
    e.preventDefault();
    submit(...make());
  };
  document.getElementById("f-next")?.addEventListener("click", () => submit(...next));
}

document.getElementById("confirm-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await call(`/api/consult/consultations/${state.current.id}/paper/confirm`, {
      method: "POST",
      body: { booth: document.getElementById("confirm-booth").value },
    });
    toast("已复核");
    await open(state.current.id);
  } catch (ex) {
    toast(message(ex), "error");
  }
});

// Options from the file `wanzheng consult options` writes (costed siting alternatives with
// their reach), else one per line of the text box: "title|cost".
async function newOptions() {
  const file = document.getElementById("n-file").files[0];
  if (file) {
    const spec = JSON.parse(await file.text());
    return { spec, options: spec.options ?? spec };
  }
  const options = val("n-options")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [title, cost] = line.split(/[|｜]/).map((x) => x.trim());
      return cost ? { title, cost: Number(cost) } : { title };
    });
  return { spec: {}, options };
}

document.getElementById("new-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const err = document.getElementById("new-error");
  err.textContent = "";
  let spec, options;
  try {
    ({ spec, options } = await newOptions());
  } catch {
    err.textContent = "方案文件无法读取";
    return;
  }
  const method = val("n-method");
  const body = {
    title: val("n-title"),
    community_id: val("n-community") || spec.community_id,
    community_name: val("n-community-name") || spec.community_name || "",
    origin: spec.origin ?? val("n-origin"),
    origin_ref: val("n-ref") || spec.origin_ref || "",
    evidence: spec.evidence ?? {},
    method,
    verify: val("n-verify"),
    notice_days: Number(val("n-days") || 7),
    responsible: { all: val("n-responsible") },
    options: options.map((o) => ({
      title: o.title, description: o.description ?? "", cost: o.cost ?? null,
      source: o.source === "plan" ? "plan" : "staff", residents_new: o.residents_new ?? null,
      site: o.site ?? null, reach: o.reach ?? [],
    })),
  };
  if (method === "pick_n") body.pick_n = Number(val("n-pick"));
  if (method === "budget") body.budget = Number(val("n-budget"));
  try {
    const res = await call("/api/consult/consultations", { method: "POST", body });
    toast("议题已发起");
    document.getElementById("new-form").reset();
    document.getElementById("new-box").open = false;
    await load();
    await open(res.id);
  } catch (ex) {
    err.textContent = ex instanceof ApiError && ex.status === 422 ? "请填写议题、社区、负责人和至少两个方案" : message(ex);
  }
});

async function load() {
  const [list, late] = await Promise.all([call("/api/consult/staff/consultations"), call("/api/consult/staff/overdue")]);
  document.getElementById("list").innerHTML = list
    .map((c) => `<tr><td>${c.id}</td><td><button type="button" class="btn small secondary" data-id="${c.id}">${esc(c.title)}</button></td><td>${esc(c.community_name || c.community_id)}</td><td>${esc(STEP[c.step] ?? "已完成")}</td><td>${c.overdue.map((k) => STEP[k]).join("、")}</td></tr>`)
    .join("");
  for (const b of document.querySelectorAll("#list button")) b.addEventListener("click", () => open(Number(b.dataset.id)));
  document.getElementById("overdue").innerHTML = late.length
    ? late.map((o) => `<li>议题 ${o.consultation_id} · ${STEP[o.kind]} · ${esc(o.failure)} · 逾期 ${num(o.days_late, 1)} 天 · 负责人 ${esc(o.responsible)}</li>`).join("")
    : "<li>暂无</li>";
}

async function start() {
  document.getElementById("login-view").hidden = true;
  document.getElementById("console").hidden = false;
  document.getElementById("logout").hidden = false;
  try {
    await load();
  } catch (ex) {
    if (ex instanceof ApiError && ex.status === 401) return logout();
    toast(message(ex), "error");
  }
}

async function logout() {
  await signOut(session);
  document.getElementById("console").hidden = true;
  document.getElementById("login-view").hidden = false;
  document.getElementById("logout").hidden = true;
}

bindSignInForm(
  async (tok) => {
    session.keep(tok);
    await start();
  },
  { explain: (ex) => (ex instanceof ApiError && ex.status === 401 ? "用户名或密码错误" : message(ex)) },
);
document.getElementById("logout").addEventListener("click", logout);

markCurrentPage();
if (session.get()) start();
document.body.dataset.ready = "yes";
