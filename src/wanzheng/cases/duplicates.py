"""Duplicate search: open cases that probably report the same thing as a given case."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.models import Case
from wanzheng.errors import NotFoundError
from wanzheng.settings import DUPLICATE_MIN_SIMILARITY, DUPLICATE_RADIUS_M, DUPLICATE_WINDOW_DAYS

if TYPE_CHECKING:  # the text module is imported only when duplicates are asked for
    from wanzheng.text.dedupe import DuplicateCandidate

__all__ = ["duplicate_candidates"]


def duplicate_candidates(
    session: Session,
    *,
    case_id: int,
    radius_m: float = DUPLICATE_RADIUS_M,
    window_days: float = DUPLICATE_WINDOW_DAYS,
    min_similarity: float = DUPLICATE_MIN_SIMILARITY,
    limit: int = 5,
) -> list[tuple[Case, DuplicateCandidate]]:
    """Open cases that probably report the same thing as case ``case_id``, best first.

    The ranking is :func:`wanzheng.text.dedupe.find_duplicates`: within ``radius_m`` metres
    (haversine) and ``window_days`` days, text similarity (cosine of character 2-3-gram
    TF-IDF) at least ``min_similarity``, ranked by similarity then distance, each with the
    phrases both texts share. The category is not required to match (a mis-proposed category is
    exactly when a duplicate is easy to miss). The idf is taken over every open case reported
    within ``window_days`` of the case (so the query stays bounded); merging is the dispatcher's
    decision (action ``merge``).

    Parameters
    ----------
    radius_m
        Largest distance, metres (settings ``duplicate_radius_m``, default 200).
    window_days
        Largest time between the reports, days (``duplicate_window_days``, default 30).
    min_similarity
        Smallest text similarity, 0-1 (``duplicate_min_similarity``, default 0.2: precision
        0.96, recall 0.97 on the constructed pairs of ``docs/text.md``).
    limit
        Most candidates returned.

    Returns
    -------
    list of (case, candidate); a case without a location has no candidates.
    """
    from wanzheng.text.dedupe import CaseText, find_duplicates

    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"case: no case {case_id}")
    if case.lon is None or case.lat is None:
        return []
    window = dt.timedelta(days=window_days)
    rows = session.scalars(
        select(Case).where(
            Case.id != case.id,
            Case.state.not_in(("closed", "merged", "rejected")),
            Case.submitted_at.between(case.submitted_at - window, case.submitted_at + window),
        )
    ).all()

    def as_text(c: Case) -> CaseText:
        return CaseText(
            id=str(c.id), title="", detail=c.text, lon=c.lon, lat=c.lat, reported=c.submitted_at
        )

    by_id = {str(c.id): c for c in rows}
    found = find_duplicates(
        as_text(case),
        [as_text(c) for c in rows],
        radius_m=radius_m,
        window_days=window_days,
        min_similarity=min_similarity,
        limit=limit,
    )
    return [(by_id[d.id], d) for d in found]
