"""From an audit's tables to a plan, on a street whose answers are worked out by hand.

A straight street runs east at latitude 30° N with nodes every 100 m (edge lengths given, so
every walk is a multiple of 100 m). Three communities have their origins on nodes 0, 2 and 4
with 100, 200 and 300 residents; an existing canteen stands on node 0; the threshold is 150 m.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from wanzheng.errors import DataError
from wanzheng.network import graph_from_arrays
from wanzheng.plan.outcome import alternatives, plan_outcome, solve_model
from wanzheng.plan.run import site_plan
from wanzheng.plan.siting import build_problem, demand_points, network_candidates

LAT = 30.0
DEG_PER_100M = 100.0 / (111_320.0 * np.cos(np.radians(LAT)))
LON = 120.0 + np.arange(5) * DEG_PER_100M


def street() -> object:
    return graph_from_arrays(
        LON,
        np.full(5, LAT),
        np.arange(4),
        np.arange(1, 5),
        edge_length_m=np.full(4, 100.0),
        edge_highway=np.full(4, "residential"),
        source="test street",
    )


def square(lon: float, half_deg: float = 0.0002) -> object:
    return shapely.box(lon - half_deg, LAT + 0.00005, lon + half_deg, LAT + 0.0004)


def communities(statuses: tuple[str, str, str] = ("met", "missing", "missing")) -> pd.DataFrame:
    dist = [0.0, 200.0, 400.0]
    return pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "name": ["甲", "乙", "丙"],
            "population": [100.0, 200.0, 300.0],
            "lon": LON[[0, 2, 4]],
            "lat": [LAT] * 3,
            "geometry": [square(LON[0]), square(LON[2]), square(LON[4])],
            "canteen_distance_m": [
                d if d <= 150 and st != "no_data" else np.inf
                for d, st in zip(dist, statuses, strict=True)
            ],
            "canteen_status": list(statuses),
            "verdict": ["complete" if s == "met" else "incomplete" for s in statuses],
        }
    )


KINDS = pd.DataFrame(
    {"key": ["canteen"], "name_zh": ["社区食堂"], "threshold_m": [150.0], "in_verdict": [True]}
)
FACILITIES = pd.DataFrame({"id": ["f0"], "kind": ["canteen"], "lon": [LON[0]], "lat": [LAT]})


def candidates(nodes: list[int], **extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": [f"s{n}" for n in nodes],
            "name": [f"点位{n}" for n in nodes],
            "lon": LON[nodes],
            "lat": [LAT] * len(nodes),
            "kinds": [""] * len(nodes),
            "cost": [1.0] * len(nodes),
            "capacity": [np.inf] * len(nodes),
            "source": ["file"] * len(nodes),
        }
    )
    for key, values in extra.items():
        frame[key] = values
    return frame


def test_problem_distances_are_the_walks_on_the_street() -> None:
    inputs = build_problem(
        street(),  # type: ignore[arg-type]
        demand=demand_points(communities()),
        candidates=candidates([1, 3]),
        facilities=FACILITIES,
        kinds=[("canteen", 150.0)],
        radius_m=[300.0],
    )
    p = inputs.problem
    # existing canteen on node 0: 0, 200, 400 m (beyond the 300 m radius: inf)
    assert p.existing_m[:, 0] == pytest.approx([0.0, 200.0, np.inf])
    pairs = {
        (int(d), int(s)): float(m)
        for d, s, m in zip(p.pair_demand, p.pair_site, p.pair_distance_m, strict=True)
    }
    # site s1 (node 1) and s3 (node 3), every pair within 300 m
    assert pairs == pytest.approx({(0, 0): 100, (0, 1): 300, (1, 0): 100, (1, 1): 100,
                                   (2, 0): 300, (2, 1): 100})  # fmt: skip
    assert list(p.weight) == [100.0, 200.0, 300.0]


def test_mclp_one_site_covers_b_and_c_and_they_become_complete() -> None:
    # s1 (node 1) newly covers B (200); s3 (node 3) newly covers B and C (500)
    outcome, _ = site_plan(
        street(),  # type: ignore[arg-type]
        communities=communities(),
        facilities=FACILITIES,
        kinds=KINDS,
        sited=["canteen"],
        candidates=candidates([1, 3]),
        p=1,
    )
    r = outcome.result
    assert r.status == "optimal"
    assert r.objective == 500.0
    assert list(outcome.sites["id"]) == ["s3"]
    assert outcome.sites.loc[0, "residents_new"] == 500.0
    c = outcome.communities.set_index("id")
    assert c.loc["B", "canteen_distance_after_m"] == pytest.approx(100.0)
    assert c.loc["C", "canteen_distance_after_m"] == pytest.approx(100.0)
    assert c.loc["A", "canteen_distance_after_m"] == pytest.approx(0.0)
    assert list(c["verdict_after"]) == ["complete"] * 3
    assert list(c["changed"]) == [False, True, True]
    assert list(c["canteen_residents_new"]) == [0.0, 200.0, 300.0]
    assert outcome.summary["communities_became_complete"] == 2


def test_budget_and_costs_pick_the_cheaper_plan() -> None:
    # s3 costs 5, s1 and s4 cost 1 each: with a budget of 2, s1 + s4 cover B and C (500)
    cand = candidates([1, 3, 4])
    cand["cost"] = [1.0, 5.0, 1.0]
    outcome, _ = site_plan(
        street(),  # type: ignore[arg-type]
        communities=communities(),
        facilities=FACILITIES,
        kinds=KINDS,
        sited=["canteen"],
        candidates=cand,
        budget=2.0,
    )
    assert outcome.result.objective == 500.0
    assert sorted(outcome.sites["id"]) == ["s1", "s4"]
    assert outcome.summary["cost"] == 2.0


def test_lscp_needs_one_site_and_pmedian_walks_add_up() -> None:
    inputs = build_problem(
        street(),  # type: ignore[arg-type]
        demand=demand_points(communities()),
        candidates=candidates([1, 3]),
        facilities=FACILITIES,
        kinds=[("canteen", 150.0)],
        radius_m=[300.0],
    )
    lscp = solve_model(inputs.problem, "lscp")
    assert lscp.status == "optimal" and lscp.objective == 1.0
    assert list(lscp.sites["id"]) == ["s3"]
    # p-median, one site, walks capped at 300 m: s3 -> A 0 (existing), B 100, C 100:
    # 100*0 + 200*100 + 300*100 = 50,000; s1 -> 0 + 200*100 + 300*300 = 110,000
    med = solve_model(inputs.problem, "pmedian", p=1)
    assert med.status == "optimal"
    assert med.objective == pytest.approx(50_000.0)
    curve = alternatives(inputs.problem, "mclp", p_max=2)
    assert list(curve["objective"]) == [500.0, 500.0]
    assert list(curve["status"]) == ["optimal", "optimal"]


def test_unreachable_community_makes_set_covering_infeasible_with_the_reason() -> None:
    # only s1: C at node 4 is 300 m away, beyond 150 m
    inputs = build_problem(
        street(),  # type: ignore[arg-type]
        demand=demand_points(communities()),
        candidates=candidates([1]),
        facilities=FACILITIES,
        kinds=[("canteen", 150.0)],
    )
    r = solve_model(inputs.problem, "lscp")
    assert r.status == "infeasible"
    assert list(r.unreachable["id"]) == ["C"]
    assert "C" in r.reason or "1" in r.reason


def test_kind_limits_and_no_data_status() -> None:
    # the site may host only a kindergarten: no canteen can be placed, nothing changes
    outcome, _ = site_plan(
        street(),  # type: ignore[arg-type]
        communities=communities(("no_data", "no_data", "no_data")),
        facilities=FACILITIES.iloc[:0],
        kinds=KINDS,
        sited=["canteen"],
        candidates=candidates([3], kinds=["kindergarten"]),
        p=1,
    )
    assert outcome.result.objective == 0.0
    assert len(outcome.sites) == 0
    # a canteen at s3 where there was none in the data: A (300 m) is now known to miss it
    outcome, _ = site_plan(
        street(),  # type: ignore[arg-type]
        communities=communities(("no_data", "no_data", "no_data")),
        facilities=FACILITIES.iloc[:0],
        kinds=KINDS,
        sited=["canteen"],
        candidates=candidates([3]),
        p=1,
    )
    c = outcome.communities.set_index("id")
    assert list(c["canteen_status_after"]) == ["missing", "met", "met"]
    assert list(c["verdict_after"]) == ["incomplete", "complete", "complete"]


def test_unknown_kind_and_missing_goal_are_named() -> None:
    args = {
        "communities": communities(),
        "facilities": FACILITIES,
        "kinds": KINDS,
        "candidates": candidates([1]),
    }
    with pytest.raises(DataError, match="'library' is not a kind of this audit"):
        site_plan(street(), sited=["library"], p=1, **args)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="--add N"):
        site_plan(street(), sited=["canteen"], **args)  # type: ignore[arg-type]


def test_buildings_share_their_community_by_footprint() -> None:
    comm = communities()
    # two buildings inside B: footprints 1:3, so B's 200 residents split 50 / 150
    small = shapely.box(LON[2] - 0.0001, LAT + 0.0001, LON[2], LAT + 0.0002)
    big = shapely.box(LON[2], LAT + 0.0001, LON[2] + 0.0003, LAT + 0.0002)
    buildings = pd.DataFrame({"geometry": [small, big], "residential": [True, True]})
    demand = demand_points(comm, buildings=buildings)
    b = demand[demand["community_id"] == "B"]
    assert len(b) == 2
    assert sorted(b["residents"]) == pytest.approx([50.0, 150.0], rel=1e-3)
    # A and C keep their origins
    assert list(demand[demand["community_id"] != "B"]["id"]) == ["A", "C"]


def test_network_candidates_are_thinned_to_one_per_cell() -> None:
    comm = communities()
    every = network_candidates(street(), comm, spacing_m=1.0, near_m=1000.0)  # type: ignore[arg-type]
    assert len(every) == 5
    thinned = network_candidates(street(), comm, spacing_m=250.0, near_m=1000.0)  # type: ignore[arg-type]
    # 400 m of street in 250 m cells: at most 3 cells (the grid is not aligned with the street)
    assert 2 <= len(thinned) <= 3
    assert set(thinned["id"]).issubset(set(every["id"]))
    # near nothing: no candidate
    far = comm.assign(geometry=[shapely.box(121, 31, 121.001, 31.001)] * 3)
    assert len(network_candidates(street(), far, near_m=10.0)) == 0  # type: ignore[arg-type]


def test_outcome_rejects_a_kind_the_audit_did_not_audit() -> None:
    inputs = build_problem(
        street(),  # type: ignore[arg-type]
        demand=demand_points(communities()),
        candidates=candidates([1]),
        facilities=FACILITIES,
        kinds=[("canteen", 150.0)],
    )
    r = solve_model(inputs.problem, "mclp", p=1)
    with pytest.raises(DataError, match="was not audited"):
        plan_outcome(r, inputs, communities().drop(columns=["canteen_status"]), in_verdict={})


def test_network_sites_get_names_and_keep_their_ids() -> None:
    # a namer that knows one crossing west of node 3 and nothing else; sites: nodes 0, 2, 4
    def name(lon: float, lat: float) -> str | None:
        return "学院路与成府路交叉口附近" if lon < LON[3] else None

    outcome, inputs = site_plan(
        street(),  # type: ignore[arg-type]
        communities=communities(),
        facilities=FACILITIES,
        kinds=KINDS,
        sited=["canteen"],
        p=2,
        spacing_m=100.0,
        site_name=name,
    )
    cand = inputs.candidates
    assert cand["id"].str.fullmatch(r"N_?\d+").all()  # the ids are the network's
    west = cand[cand["lon"] < LON[3]]
    assert list(cand["id"]) == ["N_0", "N_2", "N_4"]
    assert len(west) == 2  # several sites share the words: they are numbered
    assert list(west["name"]) == [f"学院路与成府路交叉口附近（{k + 1}）" for k in range(len(west))]
    east = cand[cand["lon"] >= LON[3]]
    assert list(east["name"]) == [f"路网候选点 {i}" for i in east["id"]]
    assert set(outcome.sites["name"]) <= set(cand["name"])
    assert not outcome.sites["name"].str.fullmatch(r"N_?\d+").any()


def test_each_site_names_the_communities_it_newly_reaches() -> None:
    # s3 is 100 m from B (node 2) and C (node 4); s1 is 100 m from A and B, but A is served
    # by its own canteen already, so only B is new to it.
    args = {
        "communities": communities(),
        "facilities": FACILITIES,
        "kinds": KINDS,
        "sited": ["canteen"],
        "p": 1,
    }
    three, _ = site_plan(street(), candidates=candidates([3]), **args)  # type: ignore[arg-type]
    one, _ = site_plan(street(), candidates=candidates([1]), **args)  # type: ignore[arg-type]
    assert list(three.sites["communities_new"]) == ["乙、丙"]
    assert list(three.sites["residents_new"]) == [500.0]
    assert list(one.sites["communities_new"]) == ["乙"]
    assert list(one.sites["residents_new"]) == [200.0]
