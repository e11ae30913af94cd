"""Case-handling measures over a period (definitions: docs/measures.md)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from wanzheng.cases.deadlines import BEIJING
from wanzheng.cases.measures import GROUPINGS
from wanzheng.cases.measures_sql import sql_measures
from wanzheng.errors import DataError
from wanzheng.web.deps import Desk, ReadSession, StaffActor

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["measures"])


def _day(value: str, field: str) -> dt.datetime:
    try:
        d = dt.date.fromisoformat(value)
    except ValueError:
        raise DataError(f"{field}: expected a date YYYY-MM-DD, got {value!r}") from None
    return dt.datetime.combine(d, dt.time(0, 0), tzinfo=BEIJING)


@router.get("/measures")
def get_measures(
    session: ReadSession,
    desk: Desk,
    actor: StaffActor,
    start: Annotated[str, Query(description="First day, YYYY-MM-DD (Beijing).")],
    end: Annotated[str, Query(description="Day after the last, YYYY-MM-DD (Beijing).")],
    by: Annotated[str, Query(json_schema_extra={"enum": list(GROUPINGS)})] = "department",
    period: Literal["month", "week", "day"] = "month",
    case_type: Annotated[str | None, Query()] = None,
) -> list[dict[str, Any]]:
    """响应率, 解决率, 满意率, average handling time and overdue count per group, aggregated by
    the database (:func:`~wanzheng.cases.measures_sql.sql_measures`).

    ``start`` and ``end`` are Beijing dates; the period is ``[start 00:00, end 00:00)``.
    ``by`` is department, grid, community, category, period or all.
    """
    t0, t1 = _day(start, "start"), _day(end, "end")
    if t1 <= t0:
        raise DataError("end: must be after start")
    table = sql_measures(
        session, by=by, start=t0, end=t1, now=desk.now(), period=period, case_type=case_type
    )
    out = []
    for key, row in table.iterrows():
        item: dict[str, Any] = {by: key}
        for col, v in row.items():
            f = float(v)
            if col in (
                "cases",
                "responded_on_time",
                "response_judged",
                "solved",
                "rated",
                "satisfied",
                "overdue",
            ):
                item[str(col)] = int(f)
            else:
                item[str(col)] = None if math.isnan(f) else round(f, 4)
        out.append(item)
    return out
