// A Leaflet map with no tiles at all: the area is drawn from its own geometry
// (streets, buildings) served by the audit API, so it works on an intranet.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { api } from "./common.js";
import { onLangChange, t } from "./i18n.js";

/** Centre of the embedded default area (Haidian, Beijing), used when no audit is loaded. */
export const DEFAULT_CENTER = [40.0035, 116.3585];

export const STREET_STYLE = {
  primary: { weight: 4, color: "#9aa4b1" },
  secondary: { weight: 3.5, color: "#9aa4b1" },
  tertiary: { weight: 3, color: "#a9b2bd" },
  residential: { weight: 2, color: "#b9c0c9" },
  default: { weight: 1.4, color: "#c4cad2" },
};

/** Create the map in `el` with a canvas renderer and a plain attribution line. */
export function createMap(el, { zoom = 16, animate = true } = {}) {
  const map = L.map(el, {
    zoomAnimation: animate,
    fadeAnimation: animate,
    markerZoomAnimation: animate,
    center: DEFAULT_CENTER,
    zoom,
    preferCanvas: true,
    attributionControl: false,
    zoomSnap: 0.25,
    keyboard: true,
  });
  const attribution = L.control.attribution({ prefix: false });
  let credit = t("map.attribution");
  attribution.addAttribution(credit).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  el.setAttribute("role", "application");
  el.setAttribute("aria-label", t("map.label"));
  onLangChange(() => {
    attribution.removeAttribution(credit);
    credit = t("map.attribution");
    attribution.addAttribution(credit);
    el.setAttribute("aria-label", t("map.label"));
  });
  return map;
}

function streetStyle(feature) {
  const hw = feature.properties?.highway ?? "";
  const key = Object.keys(STREET_STYLE).find((k) => hw.startsWith(k)) ?? "default";
  return { ...STREET_STYLE[key], opacity: 1, interactive: false };
}

/**
 * Draw the base layers (buildings, walking network) when an audit is loaded.
 * Resolves to { buildings, network, bounds } (layers may be null when absent).
 */
let baseData = null; // fetched once per page, drawn on every map that asks

// Street and community names as text on the map (no tiles carry them here): community names
// from zoom 14, street names from zoom 15, where they fit.
const LABEL_MIN_ZOOM = { community: 14, street: 15 };

function drawLabels(map, labels) {
  const layers = { community: L.layerGroup(), street: L.layerGroup() };
  const label = (text, lat, lon, cls) =>
    L.marker([lat, lon], {
      icon: L.divIcon({ className: `map-label ${cls}`, html: `<span>${escText(text)}</span>`, iconSize: null }),
      interactive: false,
      keyboard: false,
    }).addTo(layers[cls]);
  for (const s of labels.streets ?? []) label(s.name, s.lat, s.lon, "street");
  for (const c of labels.communities ?? []) label(c.name, c.lat, c.lon, "community");
  const show = () => {
    for (const [cls, layer] of Object.entries(layers)) {
      if (map.getZoom() >= LABEL_MIN_ZOOM[cls]) layer.addTo(map);
      else layer.remove();
    }
  };
  map.on("zoomend", show);
  show();
  map.getContainer().dataset.labels = String((labels.streets?.length ?? 0) + (labels.communities?.length ?? 0));
  return layers;
}

function escText(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function drawBase(map) {
  const out = { buildings: null, network: null, bounds: null, labels: null };
  baseData ??= Promise.allSettled([
    api("/api/audit/buildings"),
    api("/api/audit/network"),
    api("/api/audit/labels"),
  ]);
  const [b, n, names] = await baseData;
  // The map may have been removed while the data was on its way (a newer case opened).
  if (!map._mapPane) return out;
  if (b.status === "fulfilled" && b.value) {
    out.buildings = L.geoJSON(b.value, {
      interactive: false,
      style: (f) => ({
        weight: 0.6,
        color: "#8c96a3",
        fillColor: f.properties?.residential ? "#d9d3c7" : "#e3e6ea",
        fillOpacity: 1,
      }),
    }).addTo(map);
  }
  if (n.status === "fulfilled" && n.value) {
    out.network = L.geoJSON(n.value, { style: streetStyle, interactive: false }).addTo(map);
    // Frame where people live (the buildings) rather than every street of the extract.
    const bounds = out.buildings?.getBounds().isValid()
      ? out.buildings.getBounds()
      : out.network.getBounds();
    if (bounds.isValid()) {
      out.bounds = bounds;
      map.fitBounds(bounds, { padding: [4, 4] });
    }
  }
  if (names.status === "fulfilled" && names.value) out.labels = drawLabels(map, names.value);
  return out;
}

export { L };
