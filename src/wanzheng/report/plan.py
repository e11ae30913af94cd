"""Outputs of a siting plan: ``plan.xlsx``, ``plan.gpkg``, ``plan.html`` and ``plan.json``.

``plan.xlsx`` (every text cell through :mod:`wanzheng.data.cells`)
    ``summary`` (model, status, gap, residents newly covered, communities that become
    complete), ``sites`` (the chosen sites with kinds, cost, residents newly covered),
    ``communities`` (before / after per kind, verdict before / after), ``alternatives`` (the
    best plan for p = 1 … N: the cost–coverage curve), ``unreachable`` and ``dropped``.
``plan.gpkg`` (EPSG:4326)
    ``plan_sites`` (points), ``plan_communities`` (polygons with the before / after columns)
    and ``plan_candidates`` (every candidate, ``chosen`` 0/1).
``plan.html``
    A self-contained page: the answer, its status in plain words, the sites, the verdicts that
    change and the curve of alternatives.
``plan.json``
    What the dashboard draws (sites, changed communities, summary).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio.raw
import shapely
from markupsafe import Markup, escape
from openpyxl import Workbook

from wanzheng.data.cells import save_workbook
from wanzheng.plan.outcome import PlanOutcome
from wanzheng.report.gpkg import ogr_fields

__all__ = [
    "PLAN_FILES",
    "STATUS_ZH",
    "audit_stamp",
    "insert_plan_section",
    "plan_json",
    "plan_section",
    "write_plan_outputs",
]

PLAN_FILES = ("plan.xlsx", "plan.gpkg", "plan.html", "plan.json")

STATUS_ZH = {
    "optimal": "最优（已证明）",
    "feasible": "可行（未证明最优，见差距）",
    "infeasible": "无可行方案",
    "unknown": "求解器未给出方案",
}
VERDICT_ZH = {"complete": "完整", "incomplete": "不完整", "undetermined": "待定"}
MODEL_ZH = {"mclp": "最大覆盖 (MCLP)", "lscp": "集合覆盖 (LSCP)", "pmedian": "p-中位 (p-median)"}
KIND_STATUS_ZH = {"met": "达标", "missing": "缺失", "no_data": "无数据", "not_audited": "不评估"}


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if not math.isfinite(f) else round(f, 3)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    return [[_clean(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, *, first: bool = False) -> None:
    ws = wb.active if first and wb.active is not None else wb.create_sheet()
    ws.title = title
    ws.append([str(c) for c in frame.columns])
    for row in _rows(frame):
        ws.append(row)
    ws.freeze_panes = "A2"


def write_plan_xlsx(outcome: PlanOutcome, path: Path, *, kind_names: Mapping[str, str]) -> None:
    """Write ``plan.xlsx`` (sheets as in the module docstring)."""
    wb = Workbook()
    s = outcome.summary
    summary = pd.DataFrame(
        [
            ("模型 model", MODEL_ZH.get(str(s["model"]), s["model"])),
            ("状态 status", f"{s['status']} — {STATUS_ZH.get(str(s['status']), '')}"),
            ("目标值 objective", s["objective"]),
            ("界 bound", s["bound"]),
            ("差距 gap", s["gap"]),
            ("说明 reason", s["reason"]),
            ("求解器 solver", s["solver"]),
            ("设施类型 kinds", "、".join(kind_names.get(k, k) for k in str(s["kinds"]).split(";"))),
            ("步行阈值 threshold (m)", s["threshold_m"]),
            ("新增点位上限 p", s["p"]),
            ("预算 budget", s["budget"]),
            ("候选点 candidates", s["n_candidates"]),
            ("未用候选点 dropped", s["n_candidates_dropped"]),
            ("需求点 demand points", s["n_demand"]),
            ("选中点位 sites", s["n_sites"]),
            ("费用 cost", s["cost"]),
            ("新覆盖居民 residents newly covered", s["residents_new"]),
            ("判定改变的社区 communities changed", s["communities_changed"]),
            ("完整社区 之前 complete before", s["communities_complete_before"]),
            ("完整社区 之后 complete after", s["communities_complete_after"]),
        ],
        columns=["项目 item", "值 value"],
    )
    _sheet(wb, "summary", summary, first=True)
    _sheet(wb, "sites", outcome.sites)
    _sheet(wb, "communities", outcome.communities)
    _sheet(wb, "alternatives", outcome.alternatives)
    _sheet(wb, "unreachable", outcome.result.unreachable)
    _sheet(wb, "dropped", outcome.dropped)
    wb.properties.title = "选址补短板 siting plan"
    wb.properties.creator = "wanzheng"
    save_workbook(wb, path)


def write_plan_gpkg(
    outcome: PlanOutcome,
    path: Path,
    *,
    community_geometry: pd.Series,
    candidates: pd.DataFrame,
) -> None:
    """Write ``plan.gpkg``: ``plan_sites``, ``plan_communities``, ``plan_candidates``."""
    sites = outcome.sites
    data, names, masks = ogr_fields(sites.drop(columns=[]))
    pyogrio.raw.write(
        path,
        shapely.to_wkb(
            shapely.points(sites["lon"].to_numpy(np.float64), sites["lat"].to_numpy(np.float64))
        ),
        data,
        names,
        field_mask=masks,
        layer="plan_sites",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    comm = outcome.communities.copy()
    for col in comm.columns:
        if pd.api.types.is_float_dtype(comm[col].dtype):
            comm[col] = comm[col].where(np.isfinite(comm[col].to_numpy(np.float64)), np.nan)
    geoms = np.asarray(community_geometry.to_numpy(), dtype=object)
    polys = geoms.copy()
    kind = shapely.get_type_id(polys)
    single = np.flatnonzero(kind == 3)
    if single.shape[0]:
        polys[single] = shapely.multipolygons(polys[single], indices=np.arange(single.shape[0]))
    keep = (kind == 3) | (kind == 6)
    data, names, masks = ogr_fields(comm[keep].reset_index(drop=True))
    pyogrio.raw.write(
        path,
        shapely.to_wkb(polys[keep]),
        data,
        names,
        field_mask=masks,
        layer="plan_communities",
        driver="GPKG",
        geometry_type="MultiPolygon",
        crs="EPSG:4326",
    )
    chosen = set(sites["id"].astype(str))
    cand = pd.DataFrame(
        {
            "id": candidates["id"].astype(str).to_numpy(object),
            "name": candidates["name"].fillna("").astype(str).to_numpy(object),
            "kinds": candidates["kinds"].fillna("").astype(str).to_numpy(object),
            "cost": pd.to_numeric(candidates["cost"], errors="coerce").to_numpy(np.float64),
            "chosen": [int(i in chosen) for i in candidates["id"].astype(str)],
        }
    )
    data, names, masks = ogr_fields(cand)
    pyogrio.raw.write(
        path,
        shapely.to_wkb(
            shapely.points(
                candidates["lon"].to_numpy(np.float64), candidates["lat"].to_numpy(np.float64)
            )
        ),
        data,
        names,
        field_mask=masks,
        layer="plan_candidates",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )


def plan_json(outcome: PlanOutcome, *, kind_names: Mapping[str, str]) -> dict[str, Any]:
    """The plan as the dashboard draws it: summary, sites, communities, changed, curve.

    ``sites`` keep their coordinates to 1e-7° (about 1 cm); ``communities`` lists every
    community with residents newly covered or a verdict that changes: ``residents_new``
    (summed over the kinds), per kind ``{k}_residents_new`` and the statuses before / after.
    """
    keys = list(outcome.result.problem.kinds)
    comm = outcome.communities
    changed = comm[comm["changed"]]

    def site(row: Mapping[Any, Any]) -> dict[str, Any]:
        out = {str(k): _clean(v) for k, v in row.items()}
        out["lon"], out["lat"] = round(float(row["lon"]), 7), round(float(row["lat"]), 7)
        return out

    gained = np.zeros(len(comm))
    for k in keys:
        gained += comm[f"{k}_residents_new"].to_numpy(np.float64)
    touched = comm[(gained > 0) | comm["changed"].to_numpy(bool)]
    communities = []
    for r in touched.to_dict(orient="records"):
        entry: dict[str, Any] = {
            "id": str(r["id"]),
            "name": str(r["name"]),
            "population": _clean(r["population"]),
            "residents_new": _clean(sum(float(r[f"{k}_residents_new"]) for k in keys)),
            "verdict_before": str(r["verdict_before"]),
            "verdict_after": str(r["verdict_after"]),
        }
        for k in keys:
            entry[f"{k}_residents_new"] = _clean(r[f"{k}_residents_new"])
            entry[f"{k}_status_before"] = str(r[f"{k}_status_before"])
            entry[f"{k}_status_after"] = str(r[f"{k}_status_after"])
        communities.append(entry)
    return {
        "summary": {k: _clean(v) for k, v in outcome.summary.items()},
        "kinds": [{"key": k, "name_zh": kind_names.get(k, k)} for k in keys],
        "sites": [site(row) for row in outcome.sites.to_dict(orient="records")],
        "communities": communities,
        "changed": [
            {
                "id": str(r["id"]),
                "name": str(r["name"]),
                "verdict_before": str(r["verdict_before"]),
                "verdict_after": str(r["verdict_after"]),
            }
            for r in changed.to_dict(orient="records")
        ],
        "alternatives": [
            {str(k): _clean(v) for k, v in row.items()}
            for row in outcome.alternatives.to_dict(orient="records")
        ],
    }


def _fmt(value: Any, digits: int = 0) -> str:
    v = _clean(value)
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def _curve_svg(alt: pd.DataFrame) -> Markup:
    """Residents newly covered against cost (or sites) for every p: an inline SVG."""
    if len(alt) == 0:
        return Markup("")
    xs = alt["cost"].to_numpy(np.float64)
    ys = alt["residents_new"].to_numpy(np.float64)
    w, h, pad = 480.0, 240.0, 40.0
    x_max = float(xs.max()) or 1.0
    y_max = float(ys.max()) or 1.0

    def px(x: float, y: float) -> tuple[float, float]:
        return pad + (w - 2 * pad) * x / x_max, h - pad - (h - 2 * pad) * y / y_max

    pts = [px(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4"><title>p={int(p)}: '
        f"{_fmt(c, 1)} → {_fmt(r)}</title></circle>"
        for (x, y), p, c, r in zip(pts, alt["p"], xs, ys, strict=True)
    )
    return Markup(
        f'<svg class="curve" viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
        f'aria-label="费用与新覆盖居民">'
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#888"/>'
        f'<polyline points="{line}" fill="none" stroke="#1f4e79" stroke-width="2"/>{dots}'
        f'<text x="{w / 2:.0f}" y="{h - 8:.0f}" text-anchor="middle">费用 cost (0–{x_max:g})</text>'
        f'<text x="12" y="{pad - 12:.0f}">新覆盖居民 (max {y_max:,.0f})</text></svg>'
    )


def plan_section(outcome: PlanOutcome, *, kind_names: Mapping[str, str]) -> Markup:
    """The plan as an HTML section (for ``plan.html`` and the audit's ``report.html``)."""
    s = outcome.summary
    e = escape
    status = str(s["status"])
    kinds = "、".join(kind_names.get(k, k) for k in str(s["kinds"]).split(";"))
    parts = [
        '<section id="plan" aria-labelledby="h-plan">'
        '<h2 id="h-plan">选址补短板 <span class="en">Siting plan</span></h2>',
        f"<p><b>{e(MODEL_ZH.get(str(s['model']), s['model']))}</b> · 设施类型 {e(kinds)} · "
        f"状态 <b class='status-{e(status)}'>{e(STATUS_ZH.get(status, status))}</b>"
        f" · 差距 {_fmt(s['gap'], 4)}</p>",
        f"<p>{e(s['reason'])}</p>",
        f"<p>新增点位 {s['n_sites']} 处，费用 {_fmt(s['cost'], 1)}，新覆盖居民 "
        f"{_fmt(s['residents_new'])} 人次；完整社区 {s['communities_complete_before']} → "
        f"{s['communities_complete_after']}。</p>",
        '<h3>选中点位</h3><div class="table-scroll"><table class="data"><thead><tr>'
        '<th scope="col">编号</th><th scope="col">名称</th><th scope="col">设施</th>'
        '<th scope="col">费用</th><th scope="col">新覆盖居民</th><th scope="col">新覆盖的社区</th>'
        '<th scope="col">经度</th><th scope="col">纬度</th></tr></thead><tbody>',
    ]
    for r in outcome.sites.to_dict(orient="records"):
        names = "、".join(kind_names.get(k, k) for k in str(r["kinds"]).split(";") if k)
        parts.append(
            f"<tr><td>{e(r['id'])}</td><td>{e(r['name'])}</td><td>{e(names)}</td>"
            f"<td class='n'>{_fmt(r['cost'], 1)}</td><td class='n'>{_fmt(r['residents_new'])}</td>"
            f"<td>{e(r.get('communities_new', '') or '—')}</td>"
            f"<td class='n'>{float(r['lon']):.6f}</td><td class='n'>{float(r['lat']):.6f}</td></tr>"
        )
    parts.append("</tbody></table></div><h3>判定改变的社区</h3>")
    changed = outcome.communities[outcome.communities["changed"]]
    if len(changed) == 0:
        parts.append("<p>没有社区的判定因本方案而改变。</p>")
    else:
        parts.append(
            '<div class="table-scroll"><table class="data"><thead><tr><th scope="col">社区</th>'
            '<th scope="col">之前</th><th scope="col">之后</th></tr></thead><tbody>'
        )
        for r in changed.to_dict(orient="records"):
            parts.append(
                f"<tr><td>{e(r['name'] or r['id'])}</td>"
                f"<td>{e(VERDICT_ZH.get(str(r['verdict_before']), r['verdict_before']))}</td>"
                f"<td>{e(VERDICT_ZH.get(str(r['verdict_after']), r['verdict_after']))}</td></tr>"
            )
        parts.append("</tbody></table></div>")
    alt = outcome.alternatives
    if len(alt):
        parts.append("<h3>方案比较（p = 1 … N）</h3>")
        parts.append(str(_curve_svg(alt)))
        parts.append(
            '<div class="table-scroll"><table class="data"><thead><tr><th scope="col">p</th>'
            '<th scope="col">状态</th><th scope="col">点位</th><th scope="col">费用</th>'
            '<th scope="col">新覆盖居民</th><th scope="col">差距</th></tr></thead><tbody>'
        )
        for r in alt.to_dict(orient="records"):
            parts.append(
                f"<tr><td>{int(r['p'])}</td><td>{e(STATUS_ZH.get(str(r['status']), r['status']))}"
                f"</td><td class='n'>{int(r['n_sites'])}</td>"
                f"<td class='n'>{_fmt(r['cost'], 1)}</td>"
                f"<td class='n'>{_fmt(r['residents_new'])}</td><td class='n'>{_fmt(r['gap'], 4)}"
                "</td></tr>"
            )
        parts.append("</tbody></table></div>")
    parts.append("</section>")
    return Markup("".join(parts))


PLAN_BEGIN = "<!-- BEGIN plan -->"
PLAN_END = "<!-- END plan -->"


def insert_plan_section(
    report: Path, outcome: PlanOutcome, *, kind_names: Mapping[str, str]
) -> bool:
    """Put the plan's section into an audit's ``report.html`` (replacing an earlier plan's).

    The section goes before ``</main>`` and a link ``选址方案`` into the report's table of
    contents, each between ``<!-- BEGIN plan -->`` / ``<!-- END plan -->`` markers so that
    the next plan replaces them. Returns ``False`` (the file untouched) when the report is
    missing or has no ``</main>``.
    """
    if not report.is_file():
        return False
    html = _strip_plan(report.read_text(encoding="utf-8"))
    if "</main>" not in html:
        return False
    section = f"{PLAN_BEGIN}{plan_section(outcome, kind_names=kind_names)}{PLAN_END}\n"
    html = html.replace("</main>", section + "</main>", 1)
    if "</nav>" in html:
        html = html.replace(
            "</nav>", f'{PLAN_BEGIN}<a href="#plan">选址方案</a>{PLAN_END}</nav>', 1
        )
    tmp = report.with_name(report.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(report)
    return True


def _strip_plan(html: str) -> str:
    while PLAN_BEGIN in html and PLAN_END in html:
        a = html.index(PLAN_BEGIN)
        b = html.index(PLAN_END, a) + len(PLAN_END)
        html = html[:a] + html[b:].removeprefix("\n")
    return html


STYLE = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:1100px}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px}"
    ".table-scroll{overflow-x:auto}td.n{text-align:right}"
    "th{background:#1f4e79;color:#fff}.status-optimal{color:#176b2c}.status-feasible{color:#9a6700}"
    ".status-infeasible,.status-unknown{color:#b42318}svg.curve{max-width:480px}"
    "svg.curve circle{fill:#1f4e79}svg.curve text{font-size:11px}"
)


def write_plan_html(outcome: PlanOutcome, path: Path, *, kind_names: Mapping[str, str]) -> None:
    """Write ``plan.html``: the plan section as a page of its own (no external resource)."""
    body = plan_section(outcome, kind_names=kind_names)
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>选址补短板 · wanzheng</title><style>{STYLE}</style></head>"
        f"<body>{body}<footer><p>地图数据 © OpenStreetMap contributors, ODbL</p></footer>"
        "</body></html>"
    )
    path.write_text(html, encoding="utf-8")


def write_plan_outputs(
    outcome: PlanOutcome,
    out_dir: Path,
    *,
    kind_names: Mapping[str, str],
    community_geometry: pd.Series,
    candidates: pd.DataFrame,
    audit_stamp: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write :data:`PLAN_FILES` into ``out_dir`` (created; earlier plan files replaced).

    ``audit_stamp`` (:func:`audit_stamp`) goes into ``plan.json`` as ``audit``, so that a
    reader can tell a plan made on an audit that has since been rerun.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in PLAN_FILES]
    for p in paths:
        if p.exists():
            p.unlink()
    write_plan_xlsx(outcome, paths[0], kind_names=kind_names)
    write_plan_gpkg(outcome, paths[1], community_geometry=community_geometry, candidates=candidates)
    write_plan_html(outcome, paths[2], kind_names=kind_names)
    doc = plan_json(outcome, kind_names=kind_names)
    if audit_stamp is not None:
        doc["audit"] = dict(audit_stamp)
    paths[3].write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths


def audit_stamp(audit_dir: Path) -> dict[str, Any]:
    """What identifies an audit's output: ``audit.gpkg``'s size and modification time (ns)."""
    st = (audit_dir / "audit.gpkg").stat()
    return {"gpkg_size": int(st.st_size), "gpkg_mtime_ns": int(st.st_mtime_ns)}
