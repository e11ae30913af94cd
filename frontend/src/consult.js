// The residents' consultation page: read the options (with a map of each option's reach),
// follow the steps, vote (ID number or a one-time code), read one's own ballot back, support
// proposals. All text zh-CN; no personal data is ever shown back.
import "./style.css";
import { api, ApiError, esc, num, toast, when } from "./common.js";
import { createMap, drawBase, L } from "./map.js";

const METHOD = {
  majority: "每人选择一个方案，得票最多的方案胜出",
  pick_n: "每人最多选择 {n} 个方案，得票最多的 {n} 个方案入选",
  budget: "在预算 {b} 元内选择若干方案，按得票多少依次安排，直到预算用完",
};
const ORIGIN = { gap: "体检发现的短板", topic: "居民反映集中的热点问题", proposal: "居民提议（联署达到门槛）" };
const STEP = { notice: "公示", meeting: "议事会", vote: "投票", result: "结果公布", execution: "执行", report_back: "反馈" };

const state = { current: null, maps: [] };

function errorText(ex) {
  if (!(ex instanceof ApiError)) return "网络连接失败，请稍后再试";
  if (ex.status === 409 && /already voted/.test(ex.message)) return "您已经投过票了，每人只能投一票";
  if (ex.status === 409) return "投票尚未开始或已经结束";
  if (ex.status === 403 && /code/.test(ex.message)) return "验证码错误或已过期，请重新获取";
  if (ex.status === 403) return "未能在本社区居民名册中核对到您的信息";
  if (ex.status === 429) return "尝试次数过多，请稍后再试";
  if (ex.status === 404) return "没有找到对应的选票";
  if (ex.status === 422) return "请检查填写的内容和所选方案";
  return "提交失败，请稍后再试";
}

async function showList() {
  document.getElementById("detail-view").hidden = true;
  document.getElementById("list-view").hidden = false;
  const list = await api("/api/consult/consultations");
  const ul = document.getElementById("consultations");
  ul.innerHTML = list
    .map(
      (c) => `<li><a href="?id=${c.id}" data-id="${c.id}" class="card consult-link">
        <strong>${esc(c.title)}</strong><span class="small muted">${esc(c.community_name || c.community_id)} · 当前：${esc(STEP[c.step] ?? "已完成")}${c.overdue.length ? ' · <span class="overdue">逾期</span>' : ""}</span></a></li>`,
    )
    .join("");
  document.getElementById("list-empty").hidden = list.length > 0;
  for (const a of ul.querySelectorAll("a")) {
    a.addEventListener("click", (e) => {
      e.preventDefault();
      history.pushState(null, "", `?id=${a.dataset.id}`);
      showDetail(Number(a.dataset.id));
    });
  }
  const props = await api("/api/consult/proposals");
  const pl = document.getElementById("proposals");
  pl.innerHTML = props
    .map(
      (p) => `<li class="card proposal" data-id="${p.id}"><strong>${esc(p.title)}</strong>
        <p class="small">${esc(p.body)}</p>
        <p class="small muted"><span class="supports">联署 ${num(p.supports)} / ${num(p.threshold)}</span>${p.reached ? " · 已达到门槛" : ""}</p>
        <button type="button" class="btn small secondary support" data-id="${p.id}" aria-label="联署支持：${esc(p.title)}">联署支持</button></li>`,
    )
    .join("");
  for (const b of pl.querySelectorAll("button.support")) {
    b.addEventListener("click", () => {
      const form = document.getElementById("support-form");
      form.dataset.id = b.dataset.id;
      form.hidden = false;
      document.getElementById("support-error").textContent = "";
      document.getElementById("support-identifier").focus();
    });
  }
}

document.getElementById("support-cancel").addEventListener("click", () => {
  document.getElementById("support-form").hidden = true;
});

document.getElementById("support-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const err = document.getElementById("support-error");
  err.textContent = "";
  try {
    const res = await api(`/api/consult/proposals/${form.dataset.id}/support`, {
      method: "POST",
      body: { identifier: document.getElementById("support-identifier").value.trim() },
    });
    form.hidden = true;
    document.getElementById("support-identifier").value = "";
    toast(`联署成功，目前共 ${num(res.supports)} 人联署`);
    await showList();
  } catch (ex) {
    err.textContent =
      ex instanceof ApiError && ex.status === 409 ? "您已经联署过这项提议" : errorText(ex);
  }
});

function optionMap(el, option) {
  const map = createMap(el, { zoom: 16, animate: false });
  state.maps.push(map);
  const site = option.site;
  const layer = L.featureGroup().addTo(map);
  if (site) {
    L.circleMarker([site.lat, site.lon], { radius: 9, color: "#b42318", weight: 3, fillOpacity: 0.9 })
      .bindTooltip(`拟选址：${site.name}`)
      .addTo(layer);
  }
  for (const [lon, lat, residents] of option.reach ?? []) {
    L.circleMarker([lat, lon], { radius: 6, color: "#1a7f37", fillOpacity: 0.6 })
      .bindTooltip(`步行 ${site?.threshold_m ?? ""} 米内新覆盖约 ${num(residents)} 人`)
      .addTo(layer);
  }
  // the base layers share the canvas: draw the option above them once they are in
  drawBase(map).then(() => {
    layer.eachLayer((m) => m.bringToFront());
    if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.8), { maxZoom: 17 });
  });
  if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.8), { maxZoom: 17 });
  el.dataset.reach = String(option.reach?.length ?? 0);
}

function renderOptions(c) {
  for (const m of state.maps) m.remove();
  state.maps = [];
  const box = document.getElementById("options");
  box.innerHTML = c.options
    .map(
      (o) => `<article class="card option" data-label="${esc(o.label)}">
        <h4>方案 ${esc(o.label)}：${esc(o.title)}</h4>
        ${o.description ? `<p class="small">${esc(o.description)}</p>` : ""}
        <p class="small">${o.cost != null ? `估算费用 ${num(o.cost)} 元` : ""}${
          o.residents_new != null ? ` · 新覆盖居民约 ${num(o.residents_new)} 人` : ""
        }</p>
        ${o.site ? `<div class="option-map" id="map-${o.id}" role="img" aria-label="方案 ${esc(o.label)} 的选址和新覆盖的居民点"></div>
        <p class="small muted">红点：拟选址；绿点：步行 ${num(o.site.threshold_m)} 米内新覆盖的居民点</p>` : ""}
      </article>`,
    )
    .join("");
  for (const o of c.options) {
    const el = document.getElementById(`map-${o.id}`);
    if (el) optionMap(el, o);
  }
}

function renderSteps(c) {
  document.getElementById("steps").innerHTML = c.steps
    .map((s) => {
      const status = s.done_at ? `已完成 ${when(s.done_at)}` : s.overdue ? `已逾期 ${num(s.days_late, 1)} 天（${esc(s.failure)}）` : `期限 ${when(s.deadline)}`;
      const d = s.detail ?? {};
      const extra =
        s.kind === "notice" && d.text ? `<p class="small">${esc(d.text)}</p>`
        : s.kind === "meeting" && d.minutes ? `<p class="small">参会 ${num(d.attendance)} 人。纪要：${esc(d.minutes)}</p>`
        : s.kind === "report_back" && d.text ? `<p class="small">${esc(d.text)}</p>`
        : "";
      return `<li class="step ${s.done_at ? "done" : s.overdue ? "late" : ""}" data-kind="${s.kind}">
        <strong>${esc(STEP[s.kind])}</strong> <span class="small">${status} · 负责人 ${esc(s.responsible)}</span>${extra}</li>`;
    })
    .join("");
}

function renderResult(c) {
  const box = document.getElementById("result");
  if (!c.result) {
    box.hidden = true;
    return;
  }
  const r = c.result;
  const max = Math.max(1, ...r.counts.map((x) => x.total));
  box.hidden = false;
  box.innerHTML = `<h3>投票结果</h3>
    <p class="small muted">网上 ${num(r.ballots_online)} 票，纸质 ${num(r.ballots_paper)} 票（无效 ${num(r.invalid_paper)} 票）</p>
    ${r.counts
      .map(
        (x) => `<div class="bar-row${x.chosen ? " chosen" : ""}"><span>方案 ${esc(x.label)}${x.chosen ? "（入选）" : ""}</span>
        <span class="bar" style="width:${(100 * x.total) / max}%"></span><span>${num(x.total)}</span></div>`,
      )
      .join("")}`;
}

function renderVote(c) {
  const form = document.getElementById("vote-form");
  form.hidden = !c.vote_open;
  if (!c.vote_open) return;
  const multi = c.method !== "majority";
  const fs = document.getElementById("choices");
  fs.querySelectorAll(".choice").forEach((n) => n.remove());
  for (const o of c.options) {
    const label = document.createElement("label");
    label.className = "choice";
    label.innerHTML = `<input type="${multi ? "checkbox" : "radio"}" name="choice" value="${o.id}" data-cost="${o.cost ?? 0}" /> 方案 ${esc(o.label)}：${esc(o.title)}`;
    fs.append(label);
  }
  const hint = document.getElementById("choice-hint");
  const update = () => {
    if (c.method === "budget") {
      const spent = [...fs.querySelectorAll("input:checked")].reduce((a, i) => a + Number(i.dataset.cost), 0);
      hint.textContent = `已选 ${num(spent)} 元，预算 ${num(c.budget)} 元`;
      hint.classList.toggle("error", spent > c.budget);
    } else if (c.method === "pick_n") hint.textContent = `最多选择 ${c.pick_n} 个方案`;
    else hint.textContent = "请选择一个方案";
  };
  fs.addEventListener("change", update);
  update();
  document.getElementById("proof-identifier").hidden = c.verify !== "identifier";
  document.getElementById("proof-code").hidden = c.verify !== "code";
}

async function showDetail(id) {
  const c = await api(`/api/consult/consultations/${id}`);
  state.current = c;
  document.getElementById("list-view").hidden = true;
  document.getElementById("detail-view").hidden = false;
  document.getElementById("receipt-box").hidden = true;
  document.getElementById("c-title").textContent = c.title;
  const ev = c.evidence ?? {};
  let origin = `起因：${ORIGIN[c.origin] ?? ""}`;
  if (c.origin === "gap" && ev.distance_m != null)
    origin += `（最近的设施步行 ${num(ev.distance_m)} 米，超出标准 ${num(ev.threshold_m ?? 0)} 米）`;
  document.getElementById("c-origin").textContent = origin;
  document.getElementById("c-method").textContent = (METHOD[c.method] ?? "")
    .replaceAll("{n}", c.pick_n ?? "")
    .replaceAll("{b}", num(c.budget));
  renderOptions(c);
  renderResult(c);
  renderVote(c);
  renderSteps(c);
  document.body.dataset.ready = "yes";
}

document.getElementById("back").addEventListener("click", () => {
  history.pushState(null, "", location.pathname);
  showList();
});

document.getElementById("send-code").addEventListener("click", async () => {
  const phone = document.getElementById("phone").value.trim();
  const err = document.getElementById("vote-error");
  err.textContent = "";
  try {
    await api("/api/consult/code", {
      method: "POST",
      body: { community_id: state.current.community_id, phone },
    });
    toast("如手机号在本社区居民名册中，验证码已发送");
  } catch (ex) {
    err.textContent = ex instanceof ApiError && ex.status === 422 ? "请填写正确的手机号" : errorText(ex);
  }
});

document.getElementById("vote-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const c = state.current;
  const err = document.getElementById("vote-error");
  err.textContent = "";
  const choices = [...document.querySelectorAll("#choices input:checked")].map((i) => Number(i.value));
  if (!choices.length) {
    err.textContent = "请至少选择一个方案";
    return;
  }
  const body = { choices };
  if (c.verify === "identifier") body.identifier = document.getElementById("identifier").value.trim();
  else {
    body.phone = document.getElementById("phone").value.trim();
    body.code = document.getElementById("code").value.trim();
  }
  const btn = document.getElementById("cast");
  btn.disabled = true;
  try {
    const res = await api(`/api/consult/consultations/${c.id}/vote`, { method: "POST", body });
    document.getElementById("vote-form").hidden = true;
    document.getElementById("receipt").textContent = res.receipt;
    document.getElementById("receipt-box").hidden = false;
    document.getElementById("identifier").value = "";
  } catch (ex) {
    err.textContent = errorText(ex);
  } finally {
    btn.disabled = false;
  }
});

document.getElementById("check-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const out = document.getElementById("check-out");
  try {
    const res = await api(`/api/consult/consultations/${state.current.id}/receipt`, {
      method: "POST",
      body: { receipt: document.getElementById("check-receipt").value.trim() },
    });
    out.textContent = `您的选票：方案 ${res.choices.join("、")}`;
    out.className = "";
  } catch (ex) {
    out.textContent = errorText(ex);
    out.className = "error";
  }
});

window.addEventListener("popstate", () => route());

async function route() {
  const id = Number(new URLSearchParams(location.search).get("id"));
  try {
    if (id) await showDetail(id);
    else await showList();
  } catch (ex) {
    toast(ex instanceof ApiError && ex.status === 404 ? "没有找到这个议题" : errorText(ex), "error");
    await showList();
  }
  document.body.dataset.ready = "yes";
}

route();
