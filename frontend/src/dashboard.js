// The planner's dashboard: the audit of one area on its own map.
import "./style.css";
import * as echarts from "echarts/core";
import { BarChart } from "echarts/charts";
import { GridComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { api, ApiError, esc, initPage, num } from "./common.js";
import { onLangChange, pick, t } from "./i18n.js";
import { createMap, drawBase, L } from "./map.js";
import { drawPlan, fetchPlan, PLAN_COLOR, renderPlanCard } from "./planlayer.js";

echarts.use([BarChart, GridComponent, TooltipComponent, CanvasRenderer]);

export const VERDICT_COLORS = {
  complete: "#1a9850",
  incomplete: "#d73027",
  undetermined: "#e08214",
};
const STATUS_CLASS = { met: "ok", missing: "bad", no_data: "warn", not_audited: "muted" };
const REACH_COLORS = { 5: "#08519c", 10: "#3182bd", 15: "#6baed6" };
const REACH_MINUTES = [5, 10, 15];
// A qualitative palette with enough contrast against the light map (24 kinds before repeats).
const PALETTE = [
  "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
  "#ff7f0e", "#393b79", "#637939", "#843c39", "#7b4173", "#3182bd", "#636363", "#e6550d",
  "#31a354", "#756bb1", "#de2d26", "#08519c", "#a55194", "#8c6d31", "#005a32", "#bd0026",
];

const state = {
  summary: null,
  kinds: [],
  coverage: [],
  communities: null,
  facilities: null,
  selected: null,
  reach: new Map(), // minutes -> layer
  reachOn: new Set([5, 10, 15]),
  kindLayers: new Map(),
  kindColor: new Map(),
  communityLayer: null,
  base: null,
  chart: null,
  plan: null, // the audit's siting plan (null without one)
  planLayer: null,
};

initPage();
const map = createMap(document.getElementById("map"));

function kindName(key) {
  const k = state.kinds.find((x) => x.key === key);
  return k ? pick(k.name_zh, k.name_en) : key;
}

function renderStats() {
  const c = state.summary.counts;
  const box = document.getElementById("stats");
  const cell = (label, value, cls = "", hint = "") =>
    `<div class="stat ${cls}"${hint ? ` title="${esc(hint)}"` : ""}><span class="v">${value}</span><span class="k">${esc(label)}</span></div>`;
  box.innerHTML = [
    cell(t("dash.communities"), num(c.communities)),
    cell(t("verdict.complete"), num(c.complete), "complete"),
    cell(t("verdict.incomplete"), num(c.incomplete), "incomplete"),
    cell(t("verdict.undetermined"), num(c.undetermined), "undetermined"),
    cell(t("dash.residents"), num(c.population)),
    cell(t("dash.affected"), num(c.affected), "incomplete", t("dash.affected.hint")),
    cell(
      t("dash.facilities"),
      num(c.places ?? c.facilities),
      "",
      c.multi_kind ? t("dash.facilities.multi", { n: c.multi_kind }) : "",
    ),
  ].join("");
  const s = state.summary;
  document.getElementById("sources").textContent = [
    `${t("dash.catalogue")}: ${s.catalogue?.name ?? "–"} ${s.catalogue?.version ?? ""}`,
    `${t("dash.speed")}: ${num(s.walk_speed_m_per_min)} ${t("common.m")}/${t("common.minutes")}`,
    s.area_name ?? "",
    s.osm_file ? `OSM: ${s.osm_file}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  for (const [key, id] of [["xlsx", "export-xlsx"], ["gpkg", "export-gpkg"], ["html", "export-html"]]) {
    const a = document.getElementById(id);
    const available = s.exports?.[key] !== false;
    a.toggleAttribute("aria-disabled", !available);
    a.classList.toggle("disabled", !available);
  }
}

function renderLegend() {
  const parts = Object.entries(VERDICT_COLORS).map(
    ([v, color]) => `<span><i style="background:${color}"></i>${esc(t(`verdict.${v}`))}</span>`,
  );
  const reach = REACH_MINUTES.map(
    (m) => `<span><i style="background:${REACH_COLORS[m]}"></i>${m} ${esc(t("common.minutes"))}</span>`,
  );
  const plan = state.plan
    ? `<div><span><i class="plan-key" style="background:${PLAN_COLOR}"></i>${esc(t("dash.plan.legend"))}</span></div>`
    : "";
  document.getElementById("legend").innerHTML =
    `<div>${parts.join("")}</div><div>${esc(t("dash.reach"))}: ${reach.join("")}</div>${plan}`;
}

function showPlan() {
  if (!state.plan) return;
  document.getElementById("plan-card").hidden = false;
  document.getElementById("layer-plan-label").hidden = false;
  renderPlanCard(document.getElementById("plan"), state.plan, {
    onSite(f) {
      const [lon, lat] = f.geometry.coordinates;
      if (state.planLayer && !map.hasLayer(state.planLayer)) {
        state.planLayer.addTo(map);
        document.getElementById("layer-plan").checked = true;
      }
      map.setView([lat, lon], Math.max(map.getZoom(), 17));
    },
  });
}

function communityStyle(feature) {
  const v = feature.properties.verdict;
  const selected = state.selected && feature.properties.id === state.selected.id;
  return {
    color: selected ? "#111" : VERDICT_COLORS[v] ?? "#666",
    weight: selected ? 3 : 1.5,
    fillColor: VERDICT_COLORS[v] ?? "#666",
    fillOpacity: selected ? 0.35 : 0.22,
  };
}

function drawCommunities() {
  state.communityLayer = L.geoJSON(state.communities, {
    style: communityStyle,
    // A community known only as a point is drawn as a ringed dot, not a pin image.
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 9 }),
    onEachFeature(feature, layer) {
      const p = feature.properties;
      layer.bindTooltip(() => `${esc(p.name)} · ${esc(t(`verdict.${p.verdict}`))}`, { sticky: true });
      layer.on("click", () => select(p.id));
    },
  }).addTo(map);
  const select_ = document.getElementById("community-select");
  const options = state.communities.features
    .map((f) => f.properties)
    .sort((a, b) => a.name.localeCompare(b.name, "zh-CN"))
    .map((p) => `<option value="${esc(p.id)}">${esc(p.name)} · ${esc(t(`verdict.${p.verdict}`))}</option>`);
  select_.innerHTML = `<option value="">${esc(t("dash.choose.placeholder"))}</option>${options.join("")}`;
  if (state.selected) select_.value = state.selected.id;
}

function drawFacilities() {
  for (const layer of state.kindLayers.values()) layer.remove();
  state.kindLayers.clear();
  state.kinds.forEach((k, i) => state.kindColor.set(k.key, PALETTE[i % PALETTE.length]));
  for (const f of state.facilities.features) {
    const key = f.properties.kind;
    if (!state.kindLayers.has(key)) state.kindLayers.set(key, L.layerGroup());
    const [lon, lat] = f.geometry.coordinates;
    L.circleMarker([lat, lon], {
      radius: 5,
      weight: 1.5,
      color: "#fff",
      fillColor: state.kindColor.get(key) ?? "#444",
      fillOpacity: 1,
    })
      .bindTooltip(() => `${esc(f.properties.name || "–")} · ${esc(kindName(key))}`)
      .addTo(state.kindLayers.get(key));
  }
  for (const [key, layer] of state.kindLayers) {
    const box = document.querySelector(`#kinds input[value="${CSS.escape(key)}"]`);
    if (!box || box.checked) layer.addTo(map);
  }
}

function renderKinds() {
  const box = document.getElementById("kinds");
  const checked = new Set(
    [...box.querySelectorAll("input:checked")].map((i) => i.value),
  );
  const first = box.querySelectorAll("input").length === 0;
  const count = new Map();
  for (const f of state.facilities.features) count.set(f.properties.kind, (count.get(f.properties.kind) ?? 0) + 1);
  box.querySelectorAll("label").forEach((l) => l.remove());
  for (const k of state.kinds) {
    const label = document.createElement("label");
    const on = first || checked.has(k.key);
    label.innerHTML = `<input type="checkbox" name="kind" value="${esc(k.key)}"${on ? " checked" : ""} />
      <i class="swatch" style="background:${state.kindColor.get(k.key)}"></i>
      <span>${esc(pick(k.name_zh, k.name_en))}</span><span class="count">${num(count.get(k.key) ?? 0)}</span>`;
    box.append(label);
  }
}

// What is drawn, as attributes of the map element (for people's tools and the tests).
function markDrawn() {
  const el = document.getElementById("map");
  el.dataset.communities = String(state.communityLayer?.getLayers().length ?? 0);
  let shown = 0;
  for (const layer of state.kindLayers.values()) if (map.hasLayer(layer)) shown += layer.getLayers().length;
  el.dataset.facilities = String(shown);
}

function toggleKind(key, on) {
  const layer = state.kindLayers.get(key);
  if (layer) {
    if (on) layer.addTo(map);
    else layer.remove();
  }
  markDrawn();
}

function fmtDistance(d) {
  if (d === null || d === undefined) return `<span class="muted">${esc(t("dash.beyond"))}</span>`;
  return `${num(d)} ${esc(t("common.m"))}`;
}

function renderCommunity() {
  const box = document.getElementById("community");
  const p = state.selected;
  if (!p) {
    box.innerHTML = "";
    return;
  }
  const pop =
    p.population === null
      ? t("common.unknown")
      : `${num(p.population)}${p.population_source === "estimated" ? t("dash.population.estimated") : ""}`;
  const missing = p.missing.length
    ? p.missing.map((k) => `<span class="pill bad">${esc(kindName(k))}</span>`).join(" ")
    : esc(t("dash.missing.none"));
  const rows = state.kinds
    .map((k) => {
      const r = p.kinds[k.key] ?? {};
      const status = r.status ?? "no_data";
      const minutes =
        r.walk_min === null || r.walk_min === undefined ? "" : ` · ${num(r.walk_min, 1)} ${esc(t("common.minutes"))}`;
      const limit = k.threshold_m === null ? "" : `<span class="muted small">${esc(t("dash.table.threshold"))} ≤ ${num(k.threshold_m)} ${esc(t("common.m"))}</span>`;
      const nearest = r.nearest_name ? ` title="${esc(t("dash.table.nearest"))}: ${esc(r.nearest_name)}"` : "";
      return `<tr class="st-${STATUS_CLASS[status]}"${nearest}>
        <th scope="row"><i class="swatch" style="background:${state.kindColor.get(k.key)}"></i>${esc(pick(k.name_zh, k.name_en))}${
          k.in_verdict === false ? ` <span class="tag" title="${esc(t("dash.life.hint"))}">${esc(t("dash.life"))}</span>` : ""
        }</th>
        <td class="num">${status === "no_data" && r.distance_m == null ? "–" : fmtDistance(r.distance_m)}${minutes}<br />${limit}</td>
        <td><span class="pill ${STATUS_CLASS[status]}">${esc(t(`status.${status}`))}</span></td></tr>`;
    })
    .join("");
  const reachBoxes = REACH_MINUTES.map(
    (m) => `<label class="reach-toggle"><input type="checkbox" name="reach" value="${m}"${state.reachOn.has(m) ? " checked" : ""} />
      <i class="swatch" style="background:${REACH_COLORS[m]}"></i>${m} ${esc(t("common.minutes"))}</label>`,
  ).join("");
  box.innerHTML = `
    <h3 class="cname">${esc(p.name)}</h3>
    <dl class="facts">
      <div><dt>${esc(t("dash.verdict"))}</dt><dd><span class="pill verdict-${p.verdict}">${esc(t(`verdict.${p.verdict}`))}</span></dd></div>
      <div><dt>${esc(t("dash.population"))}</dt><dd>${esc(pop)}</dd></div>
      <div><dt>${esc(t("dash.affected"))}</dt><dd>${p.missing.length && p.population !== null ? num(p.population) : "0"}</dd></div>
      <div class="wide"><dt>${esc(t("dash.missing"))} (${p.missing.length})</dt><dd class="missing" id="missing-verdict">${missing}</dd></div>
      ${(p.missing_life_circle ?? []).length
        ? `<div class="wide"><dt>${esc(t("dash.missing.life"))} (${p.missing_life_circle.length})</dt>
           <dd class="missing" id="missing-life">${p.missing_life_circle.map((k) => `<span class="pill warn">${esc(kindName(k))}</span>`).join(" ")}</dd></div>`
        : ""}
      ${(p.evidence ?? []).length
        ? `<div class="wide"><dt>${esc(t("dash.evidence"))}</dt>
           <dd id="evidence"><ul class="evidence">${p.evidence
             .map(
               (e) => `<li data-kind="${esc(e.kind)}"><span class="pill ${STATUS_CLASS[p.kinds[e.kind]?.status ?? "no_data"] ?? ""}">${esc(kindName(e.kind))}</span>
               ${esc(t("dash.evidence.count").replace("{cases}", num(e.n_cases)).replace("{residents}", num(e.n_residents)))}</li>`,
             )
             .join("")}</ul></dd></div>`
        : ""}
      ${p.edge_uncertain && (p.edge_uncertain_kinds ?? []).length
        ? `<div class="wide"><dt>${esc(t("dash.edge"))}</dt>
           <dd class="small" id="edge-uncertain">${esc(t("dash.edge.text").replace("{m}", p.edge_distance_m ?? "?"))}
           ${p.edge_uncertain_kinds.map((k) => `<span class="pill">${esc(kindName(k))}</span>`).join(" ")}</dd></div>`
        : ""}
    </dl>
    <fieldset class="reach"><legend>${esc(t("dash.reach"))} <span class="muted small">${esc(t("dash.reach.hint"))}</span></legend>${reachBoxes}</fieldset>
    <div class="table-wrap"><table class="kinds-table">
      <thead><tr><th scope="col">${esc(t("dash.table.kind"))}</th><th scope="col">${esc(t("dash.table.distance"))}</th>
      <th scope="col">${esc(t("dash.table.status"))}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function clearReach() {
  for (const layer of state.reach.values()) layer.remove();
  state.reach.clear();
}

function showReach() {
  for (const [m, layer] of state.reach) {
    if (state.reachOn.has(m)) layer.addTo(map);
    else layer.remove();
  }
  state.communityLayer?.bringToFront();
}

async function loadReach(id) {
  clearReach();
  const qs = REACH_MINUTES.map((m) => `minutes=${m}`).join("&");
  const data = await api(`/api/audit/communities/${encodeURIComponent(id)}/reach?${qs}`);
  if (!state.selected || state.selected.id !== id) return;
  // Largest first so that the nearer bands lie on top.
  for (const m of [...REACH_MINUTES].reverse()) {
    const features = data.features.filter((f) => f.properties.minutes === m);
    const layer = L.geoJSON(
      { type: "FeatureCollection", features },
      {
        interactive: false,
        style: (f) =>
          f.geometry.type.includes("Polygon")
            ? { stroke: false, fillColor: REACH_COLORS[m], fillOpacity: 0.18 }
            : { color: REACH_COLORS[m], weight: 3, opacity: 0.9 },
      },
    );
    state.reach.set(m, layer);
  }
  showReach();
  const outer = state.reach.get(Math.max(...state.reachOn, 5));
  const bounds = outer?.getBounds();
  if (bounds?.isValid()) map.fitBounds(bounds.pad(0.05));
  document.getElementById("map").dataset.reach = "ready";
}

async function select(id, { fly = true } = {}) {
  const f = state.communities.features.find((x) => String(x.properties.id) === String(id));
  state.selected = f ? f.properties : null;
  document.getElementById("community-select").value = state.selected ? state.selected.id : "";
  state.communityLayer?.setStyle(communityStyle);
  renderCommunity();
  document.getElementById("map").dataset.reach = "";
  if (!f) {
    clearReach();
    return;
  }
  if (fly) {
    const layer = state.communityLayer.getLayers().find((l) => l.feature === f);
    if (layer) map.fitBounds(layer.getBounds().pad(1.2), { maxZoom: 17 });
  }
  try {
    await loadReach(f.properties.id);
  } catch (err) {
    document.getElementById("community").insertAdjacentHTML(
      "beforeend",
      `<p class="error" role="alert">${esc(err.message)}</p>`,
    );
  }
}

function renderChart() {
  const el = document.getElementById("chart");
  const rows = state.coverage.filter((r) => r.threshold_m !== null);
  el.style.height = `${Math.max(180, rows.length * 26 + 40)}px`;
  if (!state.chart) state.chart = echarts.init(el, null, { renderer: "canvas" });
  else state.chart.resize();
  const names = rows.map((r) => pick(r.name_zh, r.name_en));
  const values = rows.map((r) => (r.population_share === null ? null : Math.round(r.population_share * 1000) / 10));
  state.chart.setOption(
    {
      animation: false,
      grid: { left: 8, right: 48, top: 8, bottom: 24, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => (v === null ? t("status.no_data") : `${v}%`) },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: {
        type: "category",
        data: names,
        inverse: true,
        axisLabel: { color: "#222", width: 118, overflow: "truncate" },
      },
      series: [
        {
          type: "bar",
          name: t("dash.coverage.share"),
          data: values.map((v, i) => ({
            value: v,
            itemStyle: { color: rows[i].has_data ? state.kindColor.get(rows[i].kind) ?? "#3182bd" : "#bbb" },
          })),
          label: {
            show: true,
            position: "right",
            // A kind no source records anywhere is unknown, not 0 %.
            formatter: (p) =>
              p.value === null || !rows[p.dataIndex].has_data ? t("status.no_data") : `${p.value}%`,
          },
          barMaxWidth: 16,
        },
      ],
    },
    true,
  );
  // The same figures as a table for screen readers.
  document.getElementById("coverage-table").innerHTML =
    `<caption>${esc(t("dash.coverage"))}</caption>` +
    rows
      .map((r, i) => {
        const v = values[i] === null || !r.has_data ? t("status.no_data") : `${values[i]}%`;
        return `<tr><th scope="row">${esc(names[i])}</th><td>${esc(v)}</td></tr>`;
      })
      .join("");
}

function wireControls() {
  document.getElementById("kinds").addEventListener("change", (e) => {
    if (e.target.name === "kind") toggleKind(e.target.value, e.target.checked);
  });
  for (const [id, on] of [["kinds-all", true], ["kinds-none", false]]) {
    document.getElementById(id).addEventListener("click", () => {
      for (const box of document.querySelectorAll("#kinds input")) {
        box.checked = on;
        toggleKind(box.value, on);
      }
    });
  }
  document.getElementById("community-select").addEventListener("change", (e) => select(e.target.value));
  document.getElementById("community").addEventListener("change", (e) => {
    if (e.target.name !== "reach") return;
    const m = Number(e.target.value);
    if (e.target.checked) state.reachOn.add(m);
    else state.reachOn.delete(m);
    showReach();
  });
  const layerToggle = (id, get) =>
    document.getElementById(id).addEventListener("change", (e) => {
      const layer = get();
      if (!layer) return;
      if (e.target.checked) layer.addTo(map);
      else layer.remove();
      state.communityLayer?.bringToFront();
    });
  layerToggle("layer-communities", () => state.communityLayer);
  layerToggle("layer-buildings", () => state.base?.buildings);
  layerToggle("layer-network", () => state.base?.network);
  layerToggle("layer-plan", () => state.planLayer);
  window.addEventListener("resize", () => state.chart?.resize());
}

async function main() {
  renderLegend();
  wireControls();
  try {
    state.summary = await api("/api/audit/summary");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      document.getElementById("noaudit").hidden = false;
      document.body.dataset.ready = "noaudit";
      return;
    }
    throw err;
  }
  const [base, kinds, coverage, communities, facilities, plan] = await Promise.all([
    drawBase(map),
    api("/api/audit/kinds"),
    api("/api/audit/coverage"),
    api("/api/audit/communities"),
    api("/api/audit/facilities"),
    fetchPlan(),
  ]);
  Object.assign(state, { base, kinds, coverage, communities, facilities, plan });
  state.kinds.forEach((k, i) => state.kindColor.set(k.key, PALETTE[i % PALETTE.length]));
  renderStats();
  renderKinds();
  drawFacilities();
  drawCommunities();
  if (state.plan) {
    state.planLayer = drawPlan(map, state.plan);
    renderLegend();
    showPlan();
  }
  renderChart();
  markDrawn();
  // Frame the audited communities (the network usually reaches well beyond them).
  const framed = state.communityLayer.getBounds();
  if (framed.isValid()) map.fitBounds(framed.pad(0.15));
  const wanted = new URLSearchParams(location.search).get("community");
  if (wanted) await select(wanted);
  document.body.dataset.ready = "yes";
}

onLangChange(() => {
  if (!state.summary) return;
  renderLegend();
  renderStats();
  renderKinds();
  state.communityLayer?.remove();
  drawCommunities();
  state.planLayer?.eachLayer((l) => l.bringToFront?.());
  showPlan();
  renderCommunity();
  renderChart();
});

main().catch((err) => {
  document.body.dataset.ready = "error";
  const p = document.getElementById("noaudit");
  p.hidden = false;
  p.textContent = `${t("common.error")}: ${err.message}`;
});

