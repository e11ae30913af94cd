"""plan: where new facilities should go (siting models on HiGHS) and a city's programme.

Siting: a :class:`SitingProblem` (demand, candidate sites, kinds, sparse walking distances) is
solved by one of three models, each a class in spopt's shape — :class:`MCLP` (most residents
newly covered with at most ``p`` sites or a budget), :class:`LSCP` (every resident covered at
least cost) and :class:`PMedian` (least total walk) — whose ``solve()`` returns a frozen
:class:`SitingResult` with an honest status (optimal / feasible with a proven gap / infeasible
with the reason).

From an audit: :func:`demand_points` (communities or their residential buildings, weighted
by residents), :func:`network_candidates` (sites proposed from the network when the office has
no list), :func:`build_problem` (snapping and the sparse walking distances, by the engine),
:func:`site_plan` (the whole run on an audit held in memory) and :func:`plan_outcome` (the
plan in the audit's terms: sites, communities before / after, verdicts that change), with
:func:`alternatives` (the best plan for p = 1 … N).
"""

from wanzheng.plan.heuristic import HeuristicResult
from wanzheng.plan.models import LSCP, MCLP, ModelName, PMedian, SitingResult
from wanzheng.plan.outcome import PlanOutcome, alternatives, plan_outcome, solve_model
from wanzheng.plan.problem import SitingProblem
from wanzheng.plan.run import site_plan
from wanzheng.plan.siting import SitingInputs, build_problem, demand_points, network_candidates

__all__ = [
    "LSCP",
    "MCLP",
    "HeuristicResult",
    "ModelName",
    "PMedian",
    "PlanOutcome",
    "SitingInputs",
    "SitingProblem",
    "SitingResult",
    "alternatives",
    "build_problem",
    "demand_points",
    "network_candidates",
    "plan_outcome",
    "site_plan",
    "solve_model",
]
