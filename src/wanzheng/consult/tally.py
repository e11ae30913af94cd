"""Ways to vote and how ballots are counted — pure functions.

=============  ===========================================================================
method         a ballot, and the result
=============  ===========================================================================
``majority``   exactly one option; the option with most votes is chosen
``pick_n``     1 … ``n`` different options; the ``n`` options with most votes are chosen
``budget``     any set of options whose costs add up to at most the budget (participatory
               budgeting, as in Decidim and CONSUL Democracy); options are funded in order
               of votes while the money lasts, an option that no longer fits is skipped
=============  ===========================================================================

Ties on the last chosen place are reported (``tied``), never settled silently: the options
keep their order of labels in the table and the posted result says a tie was broken by the
meeting (``docs/consult.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from wanzheng.errors import DataError

__all__ = ["METHODS", "Count", "Tally", "check_ballot", "tally"]

METHODS = ("majority", "pick_n", "budget")


@dataclass(frozen=True, slots=True)
class Count:
    """Votes of one option: online, on paper, in total; whether it is chosen."""

    option_id: int
    label: str
    online: int
    paper: int
    cost: float | None
    chosen: bool

    @property
    def total(self) -> int:
        """Online plus paper votes."""
        return self.online + self.paper


@dataclass(frozen=True, slots=True)
class Tally:
    """A result: counts per option (most votes first), ballots, spent money, ties."""

    method: str
    counts: tuple[Count, ...]
    ballots_online: int
    ballots_paper: int
    invalid_paper: int
    spent: float | None
    tied: bool

    @property
    def chosen(self) -> list[int]:
        """Ids of the chosen options."""
        return [c.option_id for c in self.counts if c.chosen]


def check_ballot(
    choices: Sequence[int],
    *,
    method: str,
    option_costs: Mapping[int, float | None],
    pick_n: int | None = None,
    budget: float | None = None,
) -> list[int]:
    """The ballot's options, sorted, or a :class:`DataError` saying what is wrong with it.

    ``option_costs``: the consultation's option ids and their costs (``None`` = not costed).
    """
    picked = sorted({int(c) for c in choices})
    if len(picked) != len(choices):
        raise DataError("choices: an option is chosen twice")
    unknown = [c for c in picked if c not in option_costs]
    if unknown:
        raise DataError(f"choices: {unknown} are not options of this consultation")
    if not picked:
        raise DataError("choices: choose at least one option")
    if method == "majority":
        if len(picked) != 1:
            raise DataError(f"choices: choose exactly one option, got {len(picked)}")
    elif method == "pick_n":
        if pick_n is None or len(picked) > pick_n:
            raise DataError(f"choices: choose at most {pick_n} options, got {len(picked)}")
    elif method == "budget":
        costs = [option_costs[c] for c in picked]
        if budget is None or any(c is None for c in costs):
            raise DataError("choices: every option of a budget vote needs a cost")
        total = sum(c for c in costs if c is not None)
        if total > budget + 1e-9:
            raise DataError(
                f"choices: the chosen options cost {total:g}, over the budget {budget:g}"
            )
    else:
        raise DataError(f"method: expected one of {list(METHODS)}, got {method!r}")
    return picked


def tally(
    *,
    method: str,
    options: Sequence[tuple[int, str, float | None]],
    ballots: Iterable[Sequence[int]],
    paper: Mapping[int, int] | None = None,
    paper_ballots: int = 0,
    invalid_paper: int = 0,
    pick_n: int | None = None,
    budget: float | None = None,
) -> Tally:
    """Count online ``ballots`` (each a list of option ids) and confirmed ``paper`` marks.

    Parameters
    ----------
    options
        ``(id, label, cost)`` in the order of labels.
    paper
        Option id -> marks on valid paper ballots, summed over the confirmed booths.
    """
    online = {oid: 0 for oid, _, _ in options}
    n_online = 0
    for ballot in ballots:
        n_online += 1
        for c in ballot:
            online[int(c)] += 1
    paper = paper or {}
    total = {oid: online[oid] + int(paper.get(oid, 0)) for oid, _, _ in options}
    order = sorted(options, key=lambda o: -total[o[0]])  # stable: label order on ties
    chosen: set[int] = set()
    tied = False
    spent: float | None = None
    if method in ("majority", "pick_n"):
        seats = 1 if method == "majority" else int(pick_n or 1)
        winners = [o for o in order if total[o[0]] > 0][:seats]
        chosen = {o[0] for o in winners}
        if winners and len(winners) == seats:
            last = total[winners[-1][0]]
            tied = any(total[o[0]] == last for o in order if o[0] not in chosen)
    elif method == "budget":
        left = float(budget or 0.0)
        spent = 0.0
        for oid, _, cost in order:
            if total[oid] == 0 or cost is None:
                continue
            if cost <= left + 1e-9:
                chosen.add(oid)
                left -= cost
                spent += cost
        funded_votes = [total[o] for o in chosen]
        tied = bool(funded_votes) and any(
            total[o[0]] == min(funded_votes) for o in order if o[0] not in chosen
        )
    else:
        raise DataError(f"method: expected one of {list(METHODS)}, got {method!r}")
    counts = tuple(
        Count(
            option_id=oid,
            label=label,
            online=online[oid],
            paper=int(paper.get(oid, 0)),
            cost=cost,
            chosen=oid in chosen,
        )
        for oid, label, cost in order
    )
    return Tally(
        method=method,
        counts=counts,
        ballots_online=n_online,
        ballots_paper=paper_ballots,
        invalid_paper=invalid_paper,
        spent=spent,
        tied=tied,
    )
