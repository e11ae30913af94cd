// Labels of states, actions, categories and departments from the case desk (zh-CN data),
// with English fallbacks for the states and actions that the pages show most.
import { api } from "./common.js";
import { currentLang } from "./i18n.js";

const EN_STATES = {
  submitted: "Submitted",
  accepted: "Accepted",
  dispatched: "Assigned",
  in_progress: "In progress",
  resolved: "Resolved, awaiting rating",
  closed: "Closed",
  returned: "Returned",
  merged: "Merged",
  rejected: "Rejected",
  reopened: "Reopened",
  disputed: "Under review",
};
const EN_ACTIONS = {
  submit: "Submitted",
  accept: "Accept",
  dispatch: "Assign",
  start: "Start",
  return: "Return",
  resolve: "Resolve",
  rate: "Rate",
  close: "Close",
  merge: "Merge",
  reject: "Reject",
  reopen: "Reopen",
  extend: "Extend",
  escalate: "Escalate",
  recategorise: "Confirm / change category",
};

let vocab = { states: {}, actions: {}, categories: {}, departments: [], ratings: [] };

/** Load the vocabulary once (missing pieces fall back to keys). */
export async function loadVocabulary() {
  try {
    vocab = await api("/api/ui/vocabulary");
  } catch {
    /* labels fall back to keys */
  }
  return vocab;
}

export function stateLabel(key) {
  if (currentLang() === "en" && EN_STATES[key]) return EN_STATES[key];
  return vocab.states[key]?.label ?? key;
}

// Events that are not transitions of states.toml.
const ZH_EVENTS = { submit: "提交", extend: "延期", escalate: "督办", unmask: "查看联系方式" };

export function actionLabel(key) {
  if (currentLang() === "en" && EN_ACTIONS[key]) return EN_ACTIONS[key];
  return vocab.actions[key]?.label ?? ZH_EVENTS[key] ?? EN_ACTIONS[key] ?? key;
}

export function actionRequires(key) {
  return vocab.actions[key]?.requires ?? [];
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
