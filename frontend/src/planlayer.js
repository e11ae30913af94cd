// The served audit's siting plan on the dashboard: the proposed sites (numbered pins) with
// the residents they newly bring within reach, and the communities they newly reach.
import { api, ApiError, esc, num } from "./common.js";
import { t } from "./i18n.js";
import { L } from "./map.js";

export const PLAN_COLOR = "#6a1b9a";
const STATUS_CLASS = { optimal: "ok", feasible: "warn", infeasible: "bad", unknown: "bad" };

/**
 * Fetch the plan (null when the audit has none) as { summary, sites, communities }.
 * Other errors are thrown.
 */
export async function fetchPlan() {
  const { plan } = await api("/api/plan/available");
  if (!plan) return null;
  try {
    const summary = await api("/api/plan/summary");
    const [sites, communities] = await Promise.all([
      api("/api/plan/sites"),
      api("/api/plan/communities"),
    ]);
    return { summary, sites, communities };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

function kindNames(plan, keys) {
  const names = new Map(plan.summary.kinds.map((k) => [k.key, k.name_zh]));
  return keys.map((k) => names.get(k) ?? k).join("、");
}

function siteTip(plan, p, n) {
  const lines = [
    `<b>${n}. ${esc(p.name)}</b>`,
    esc(t("dash.plan.kinds", { names: kindNames(plan, p.kinds) })),
    esc(t("dash.plan.gained", { n: num(p.residents_new) })),
  ];
  if (p.communities_new.length)
    lines.push(esc(t("dash.plan.reaches", { names: p.communities_new.join("、") })));
  return lines.join("<br />");
}

/** Draw the plan on `map`; returns the layer group (communities below, sites on top). */
export function drawPlan(map, plan) {
  const group = L.layerGroup();
  // Outlines only: a click on a community still opens it (the sites' tooltips say who gains).
  L.geoJSON(plan.communities, {
    interactive: false,
    style: () => ({ color: PLAN_COLOR, weight: 2.5, dashArray: "6 4", fill: false }),
  }).addTo(group);
  plan.sites.features.forEach((f, i) => {
    const [lon, lat] = f.geometry.coordinates;
    L.marker([lat, lon], {
      icon: L.divIcon({ className: "plan-pin", html: `<span>${i + 1}</span>`, iconSize: [26, 26] }),
      keyboard: false,
      title: f.properties.name,
    })
      .bindTooltip(() => siteTip(plan, f.properties, i + 1), { direction: "top", offset: [0, -12] })
      .addTo(group);
  });
  group.addTo(map);
  const el = map.getContainer();
  el.dataset.planSites = String(plan.sites.features.length);
  el.dataset.planCommunities = String(plan.communities.features.length);
  return group;
}

/** The plan's card in the side panel; clicking a site shows it on the map. */
export function renderPlanCard(box, plan, { onSite } = {}) {
  const s = plan.summary.summary;
  const status = s.status;
  const gap = status === "feasible" && s.gap !== null ? ` · ${esc(t("dash.plan.gap", { gap: num(s.gap * 100, 2) + "%" }))}` : "";
  const rows = plan.sites.features
    .map((f, i) => {
      const p = f.properties;
      return `<li><button type="button" class="linklike" data-site="${i}">${i + 1}. ${esc(p.name)}</button>
        <span class="small muted">${esc(kindNames(plan, p.kinds))}</span>
        <span class="small">${esc(t("dash.plan.gained", { n: num(p.residents_new) }))}</span>
        ${p.communities_new.length ? `<span class="small muted">${esc(t("dash.plan.reaches", { names: p.communities_new.join("、") }))}</span>` : ""}</li>`;
    })
    .join("");
  const exports = plan.summary.exports ?? {};
  box.innerHTML = `
    ${plan.summary.stale ? `<p class="warn-note" role="note">${esc(t("dash.plan.stale"))}</p>` : ""}
    <p><span class="pill ${STATUS_CLASS[status] ?? "muted"}">${esc(t(`dash.plan.status.${status}`))}</span>
      <span class="small">${esc(t(`dash.plan.model.${s.model}`))} · ${esc(kindNames(plan, plan.summary.kinds.map((k) => k.key)))}</span>${gap}</p>
    <div class="stats plan-stats">
      <div class="stat"><span class="v">${num(s.n_sites)}</span><span class="k">${esc(t("dash.plan.sites"))}</span></div>
      <div class="stat"><span class="v">${num(s.residents_new)}</span><span class="k">${esc(t("dash.plan.new"))}</span></div>
      <div class="stat complete"><span class="v">${num(s.communities_complete_before)} → ${num(s.communities_complete_after)}</span><span class="k">${esc(t("dash.plan.complete"))}</span></div>
    </div>
    <ol class="plan-sites">${rows}</ol>
    <div class="plan-exports">
      ${exports["plan.xlsx"] ? `<a class="btn small" href="/api/plan/export/plan.xlsx" download>${esc(t("dash.plan.export.xlsx"))}</a>` : ""}
      ${exports["plan.html"] ? `<a class="btn small secondary" href="/api/plan/export/plan.html" target="_blank" rel="noopener">${esc(t("dash.plan.export.html"))}</a>` : ""}
    </div>`;
  box.querySelectorAll("[data-site]").forEach((b) =>
    b.addEventListener("click", () => onSite?.(plan.sites.features[Number(b.dataset.site)])),
  );
}
