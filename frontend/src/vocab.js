// Labels of states, actions, history events, roles, categories and departments: the case
// desk's own data (states.toml, categories.toml, the departments table) served by
// /api/ui/vocabulary. This file holds no copy of them: a state added to states.toml shows
// here without touching the front end.
import { api } from "./common.js";
import { currentLang } from "./i18n.js";

let vocab = { states: {}, actions: {}, events: {}, roles: {}, categories: {}, departments: [], grids: [], ratings: [] };

/** Load the vocabulary once (missing pieces fall back to keys). */
export async function loadVocabulary() {
  try {
    vocab = { ...vocab, ...(await api("/api/ui/vocabulary")) };
  } catch {
    /* labels fall back to keys */
  }
  return vocab;
}

// The label of an entry in the current language (English where the data has it).
function labelOf(entry, key) {
  if (!entry) return key ?? "–";
  if (currentLang() === "en" && entry.label_en) return entry.label_en;
  return entry.label || key;
}

export function stateLabel(key) {
  return labelOf(vocab.states[key], key);
}

/** The states in the order of states.toml (the console's queue tabs). */
export function queueOrder() {
  return Object.keys(vocab.states);
}

/** Actions `role` may take on a case in `state` (states.toml; scope checks aside). */
export function actionsFrom(state, role) {
  return Object.entries(vocab.actions)
    .filter(([, a]) => (a.from ?? []).includes(state) && (a.roles ?? []).includes(role))
    .map(([k]) => k);
}

export function isFinalState(key) {
  return Boolean(vocab.states[key]?.final);
}

/** A row of a case's history: a transition of states.toml or another event (提交, 督办…). */
export function actionLabel(key) {
  return labelOf(vocab.actions[key] ?? vocab.events[key], key);
}

export function actionRequires(key) {
  return vocab.actions[key]?.requires ?? [];
}

/** Who took an action, as a history names them (居民, 调度员…). */
export function roleLabel(key) {
  return labelOf(vocab.roles[key], key);
}

export function ratings() {
  return vocab.ratings;
}

export function categoryLabel(key) {
  if (!key) return "–";
  const c = vocab.categories[key];
  if (!c) return key;
  const parent = c.parent ? vocab.categories[c.parent]?.name : null;
  return parent ? `${parent} / ${c.name}` : c.name;
}

export function categories() {
  return vocab.categories;
}

export function departments() {
  return vocab.departments;
}

export function departmentLabel(key) {
  return vocab.departments.find((d) => d.key === key)?.name ?? key ?? "–";
}

/** Grids (网格) with their community, for 派单 to a grid. */
export function grids() {
  return vocab.grids;
}

export function gridLabel(key) {
  if (!key) return "–";
  const g = vocab.grids.find((x) => x.key === key);
  if (!g) return key;
  return g.community ? `${g.community} · ${g.name}` : g.name;
}
