"""A city's programme of complete communities, tracked from dated audits (建设进度).

A programme (:class:`Programme`, read by :func:`wanzheng.data.programme.load_programme`) names
the communities in scope with their subdistrict and district, yearly targets (share of
communities complete by the year's end) and projects per community with their stage and
planned dates. :func:`programme_progress` takes dated audits and returns, per community, the
verdict at every date — recomputed from the audit's per-kind statuses (which come from the
facility rows), never typed in —, what changed between the first and the last audit, each
subdistrict and district against its target with a ranked index, and the projects late against
their stage dates. Pure functions.

The index (完整度指数) of an area is ``100 × mean over its communities of met / required``:
the share of the kinds that decide the verdict which a community meets, averaged over the
area's communities (a community without data on any deciding kind counts 0). Areas are ranked
by the index, then by the share complete.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wanzheng.audit.compute import verdicts
from wanzheng.data.programme import STAGES, Programme
from wanzheng.errors import DataError

__all__ = [
    "STAGES",
    "DatedAudit",
    "Programme",
    "Progress",
    "community_verdicts",
    "programme_progress",
]


@dataclass(frozen=True, slots=True)
class DatedAudit:
    """One audit with its date: the communities table and the kinds (``key``, ``in_verdict``)."""

    date: dt.date
    communities: pd.DataFrame
    kinds: pd.DataFrame
    label: str = ""


@dataclass(frozen=True, slots=True)
class Progress:
    """What :func:`programme_progress` finds.

    Attributes
    ----------
    communities
        One row per community in scope: ``id``, ``name``, ``subdistrict``, ``district``,
        ``population`` (last audit), then ``verdict_<date>`` for every audit, ``met_last``,
        ``required_last``, ``missing_last`` (``;``-joined) and ``in_audit`` (found in the last
        audit).
    changes
        One row per community whose verdict or kinds changed between the first and the last
        audit: ``id``, ``name``, ``verdict_first``, ``verdict_last``, ``became_complete``,
        ``kinds_closed`` (missing → met), ``kinds_opened`` (met → missing), ``residents``.
    areas
        One row per subdistrict and per district: ``level``, ``area``, ``communities``,
        ``complete``, ``share_complete``, ``target``, ``target_met`` (NaN without a target),
        ``index``, ``rank`` (within the level).
    late
        Projects late at the last audit's date: the project columns plus ``late_stage`` (the
        stage not reached), ``due`` and ``days_late``.
    summary
        ``first``, ``last`` (dates), ``as_of`` year, ``communities``, ``complete_first``,
        ``complete_last``, ``became_complete``, ``residents_newly_complete``, ``target`` …
    """

    communities: pd.DataFrame
    changes: pd.DataFrame
    areas: pd.DataFrame
    late: pd.DataFrame
    summary: dict[str, Any]


def community_verdicts(audit: DatedAudit) -> pd.DataFrame:
    """Verdict, met and required per community, recomputed from the per-kind statuses.

    Returns ``id``, ``verdict``, ``met``, ``required``, ``missing`` (``;``-joined) and
    ``met_kinds`` (``;``-joined), using the kinds whose ``in_verdict`` is true (all kinds
    when the column is absent) that have a ``{kind}_status`` column.
    """
    comm = audit.communities
    kinds = audit.kinds
    flags = kinds["in_verdict"] if "in_verdict" in kinds else pd.Series(True, index=kinds.index)
    keys = [
        str(k)
        for k, f in zip(kinds["key"], flags, strict=True)
        if bool(f) and f"{k}_status" in comm
    ]
    if not keys:
        raise DataError(
            f"audit {audit.label or audit.date}: no kind status column to recompute verdicts from"
        )
    status = np.column_stack([comm[f"{k}_status"].astype(str).to_numpy(object) for k in keys])
    out = pd.DataFrame({"id": comm["id"].astype(str).to_numpy(object)})
    out["verdict"] = [str(v) for v in verdicts(status.astype(object))]
    out["met"] = (status == "met").sum(axis=1)
    out["required"] = (status != "no_data").sum(axis=1)
    out["missing"] = [";".join(k for k, s in zip(keys, row, strict=True) if s == "missing")
                      for row in status]  # fmt: skip
    out["met_kinds"] = [";".join(k for k, s in zip(keys, row, strict=True) if s == "met")
                        for row in status]  # fmt: skip
    out["population"] = (
        pd.to_numeric(comm["population"], errors="coerce").to_numpy(np.float64)
        if "population" in comm
        else np.nan
    )
    return out


def _target(targets: pd.DataFrame, year: int, area: str) -> float:
    t = targets[targets["year"] == year]
    own = t[t["area"] == area]
    if len(own):
        return float(own["share"].iloc[0])
    general = t[t["area"] == ""]
    return float(general["share"].iloc[0]) if len(general) else math.nan


def programme_progress(programme: Programme, audits: list[DatedAudit]) -> Progress:
    """The programme at the dates of its audits (see the module docstring).

    Raises
    ------
    DataError
        No audit, two audits of one date, or a community of the programme in no audit.
    """
    if not audits:
        raise DataError("expected at least one dated audit")
    audits = sorted(audits, key=lambda a: a.date)
    dates = [a.date for a in audits]
    if len(set(dates)) != len(dates):
        raise DataError(f"two audits share a date: {sorted(str(d) for d in dates)}")
    scope = programme.communities.copy()
    scope["id"] = scope["id"].astype(str)
    per_date = [community_verdicts(a).set_index("id") for a in audits]
    known = set().union(*(set(v.index) for v in per_date))
    absent = [i for i in scope["id"] if i not in known]
    if absent:
        raise DataError(
            f"programme: communities not in any audit: {', '.join(absent[:10])}"
            + (f" … ({len(absent)})" if len(absent) > 10 else "")
            + " (the programme's ids must be the audit's community ids)"
        )
    first, last = per_date[0], per_date[-1]
    table = scope[["id", "name", "subdistrict", "district"]].copy()
    for a, v in zip(audits, per_date, strict=True):
        table[f"verdict_{a.date.isoformat()}"] = table["id"].map(v["verdict"]).fillna("")
    table["population"] = table["id"].map(last["population"])
    table["met_last"] = table["id"].map(last["met"])
    table["required_last"] = table["id"].map(last["required"])
    table["missing_last"] = table["id"].map(last["missing"]).fillna("")
    table["in_audit"] = table["id"].isin(last.index)

    population: dict[Any, Any] = last["population"].to_dict()
    change_rows: list[dict[str, Any]] = []
    for cid, name in zip(table["id"], table["name"], strict=True):
        if cid not in first.index or cid not in last.index:
            continue
        before_met = set(filter(None, str(first.at[cid, "met_kinds"]).split(";")))
        after_met = set(filter(None, str(last.at[cid, "met_kinds"]).split(";")))
        before_missing = set(filter(None, str(first.at[cid, "missing"]).split(";")))
        after_missing = set(filter(None, str(last.at[cid, "missing"]).split(";")))
        closed = sorted(before_missing & after_met)
        opened = sorted(before_met & after_missing)
        v0, v1 = str(first.at[cid, "verdict"]), str(last.at[cid, "verdict"])
        if v0 == v1 and not closed and not opened:
            continue
        change_rows.append(
            {
                "id": cid,
                "name": name,
                "verdict_first": v0,
                "verdict_last": v1,
                "became_complete": v1 == "complete" and v0 != "complete",
                "kinds_closed": ";".join(closed),
                "kinds_opened": ";".join(opened),
                "residents": float(population.get(cid, math.nan)),
            }
        )
    changes = pd.DataFrame(
        change_rows,
        columns=["id", "name", "verdict_first", "verdict_last", "became_complete",
                 "kinds_closed", "kinds_opened", "residents"],
    )  # fmt: skip

    year = dates[-1].year
    last_verdict = table[f"verdict_{dates[-1].isoformat()}"]
    share_met = (
        table["met_last"] / table["required_last"].where(table["required_last"] > 0)
    ).fillna(0.0)
    area_rows: list[dict[str, Any]] = []
    for level in ("subdistrict", "district"):
        rows: list[dict[str, Any]] = []
        for area, idx in table.groupby(level, sort=True).groups.items():
            n = len(idx)
            complete = int((last_verdict.loc[idx] == "complete").sum())
            share = complete / n if n else math.nan
            target = _target(programme.targets, year, str(area))
            rows.append(
                {
                    "level": level,
                    "area": str(area),
                    "communities": n,
                    "complete": complete,
                    "share_complete": share,
                    "target": target,
                    "target_met": bool(share >= target - 1e-12) if math.isfinite(target) else None,
                    "index": 100.0 * float(share_met.loc[idx].mean()) if n else math.nan,
                }
            )
        rows.sort(key=lambda r: (-r["index"], -r["share_complete"], r["area"]))
        for rank, r in enumerate(rows, start=1):
            r["rank"] = rank
        area_rows += rows
    areas = pd.DataFrame(
        area_rows,
        columns=["level", "area", "communities", "complete", "share_complete", "target",
                 "target_met", "index", "rank"],
    )  # fmt: skip

    late = _late(programme.projects, dates[-1])
    n_scope = len(table)
    complete_first = int((table[f"verdict_{dates[0].isoformat()}"] == "complete").sum())
    complete_last = int((last_verdict == "complete").sum())
    # .astype(bool): with no change at all the column is empty and of dtype object, which
    # pandas would read as a selection of columns
    became = changes[changes["became_complete"].astype(bool)]
    city_target = _target(programme.targets, year, "")
    summary: dict[str, Any] = {
        "first": dates[0].isoformat(),
        "last": dates[-1].isoformat(),
        "year": year,
        "communities": n_scope,
        "complete_first": complete_first,
        "complete_last": complete_last,
        "share_complete": complete_last / n_scope if n_scope else math.nan,
        "target": city_target,
        "target_met": (
            bool(complete_last / n_scope >= city_target - 1e-12)
            if n_scope and math.isfinite(city_target)
            else None
        ),
        "became_complete": len(became),
        "residents_newly_complete": float(np.nansum(became["residents"].to_numpy(np.float64))),
        "projects_late": len(late),
    }
    return Progress(communities=table, changes=changes, areas=areas, late=late, summary=summary)


def _late(projects: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Projects whose next stage's planned date has passed without the stage being reached."""
    rows: list[dict[str, Any]] = []
    when = pd.Timestamp(as_of)
    for rec in ({str(k): v for k, v in r.items()} for r in projects.to_dict(orient="records")):
        reached = STAGES.index(str(rec["stage"]))
        for stage in STAGES[reached + 1 :]:
            due = rec.get(f"planned_{stage}")
            if due is None or pd.isna(due):
                continue
            due_ts = pd.Timestamp(due)
            if due_ts < when:
                rows.append(
                    {
                        **rec,
                        "late_stage": stage,
                        "due": due_ts.date().isoformat(),
                        "days_late": int((when - due_ts).days),
                    }
                )
                break
    cols = [*projects.columns, "late_stage", "due", "days_late"]
    return pd.DataFrame(rows, columns=cols)
