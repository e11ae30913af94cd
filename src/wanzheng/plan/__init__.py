"""plan: where new facilities should go (siting models on HiGHS) and a city's programme.

Siting: a :class:`SitingProblem` (demand, candidate sites, kinds, sparse walking distances) is
solved by one of three models, each a class in spopt's shape — :class:`MCLP` (most residents
newly covered with at most ``p`` sites or a budget), :class:`LSCP` (every resident covered at
least cost) and :class:`PMedian` (least total walk) — whose ``solve()`` returns a frozen
:class:`SitingResult` with an honest status (optimal / feasible with a proven gap / infeasible
with the reason).
"""

from wanzheng.plan.heuristic import HeuristicResult
from wanzheng.plan.models import LSCP, MCLP, ModelName, PMedian, SitingResult
from wanzheng.plan.problem import SitingProblem

__all__ = [
    "LSCP",
    "MCLP",
    "HeuristicResult",
    "ModelName",
    "PMedian",
    "SitingProblem",
    "SitingResult",
]
