"""Administration: routing and category tables, users, the unmasking log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from wanzheng.cases.contacts import unmask_log
from wanzheng.cases.masking import PHONE_PATTERN
from wanzheng.cases.states import ROLES
from wanzheng.cases.tables import list_table, upsert_row
from wanzheng.cases.users import create_user, hash_password
from wanzheng.web.deps import AdminActor, Desk, ReadSession
from wanzheng.web.openapi import errors

__all__ = ["router"]

router = APIRouter(prefix="/api/admin", tags=["admin"])


class UserIn(BaseModel):
    """A new login."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=200)
    role: str = Field(json_schema_extra={"enum": list(ROLES)})
    display_name: str = Field("", max_length=100)
    department: str | None = None
    grid: str | None = None
    phone: str | None = Field(None, max_length=64, pattern=PHONE_PATTERN)


class UserOut(BaseModel):
    """A login (never its password hash)."""

    id: int
    username: str
    role: str
    department: str | None
    grid: str | None


@router.get("/tables/{table}", responses=errors(404))
def get_table(table: str, session: ReadSession, actor: AdminActor) -> list[dict[str, Any]]:
    """Rows of a routing table: areas, departments, communities, grids, categories."""
    return list_table(session, table=table)


@router.put("/tables/{table}/{key}", responses=errors(404))
def put_row(
    table: str,
    key: str,
    values: dict[str, Any],
    desk: Desk,
    actor: AdminActor,
) -> dict[str, Any]:
    """Create or update one row (e.g. a grid's polygon, a category's department)."""
    row = desk.write(lambda s: upsert_row(s, table=table, key=key, values=values))
    if table in ("grids", "areas", "categories"):
        desk.invalidate_index()
    return row


@router.post("/users", response_model=UserOut, status_code=201, responses=errors(409))
def post_user(body: UserIn, desk: Desk, actor: AdminActor) -> UserOut:
    """Create a user of any role (handlers need a department, grid workers a grid)."""
    hashed = hash_password(body.password)
    u = desk.write(
        lambda s: create_user(
            s,
            username=body.username,
            password=body.password,
            password_hash=hashed,
            role=body.role,
            display_name=body.display_name,
            department=body.department,
            grid=body.grid,
            phone=body.phone,
        )
    )
    return UserOut(
        id=u.id, username=u.username, role=u.role, department=u.department_key, grid=u.grid_key
    )


@router.get("/unmask-log")
def get_unmask_log(session: ReadSession, actor: AdminActor) -> list[dict[str, Any]]:
    """Who saw which unmasked personal data, when and why (latest 500)."""
    return unmask_log(session)
