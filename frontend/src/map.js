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

export async function drawBase(map) {
  const out = { buildings: null, network: null, bounds: null };
  baseData ??= Promise.allSettled([api("/api/audit/buildings"), api("/api/audit/network")]);
  const [b, n] = await baseData;
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
  return out;
}

export { L };
