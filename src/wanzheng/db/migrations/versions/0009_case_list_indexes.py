"""Indexes for the staff lists at scale: (state, id), (grid_key, id), (department_key, id)

The staff lists are "the newest 20 cases" of a scope (all, a grid, a department) and of a
state: ``WHERE grid_key = ? [AND state = ?] ORDER BY id DESC LIMIT 20``. With an index on
(scope column, id) PostgreSQL reads exactly the newest 20 rows of that scope from the index,
whatever the table's size. With only the single-column indexes it either walks the primary
key backwards and filters — fast while the scope's newest rows are recent, slow for a quiet
scope whose newest matching rows are old — or fetches every case of the scope and sorts
them. At 1M generated cases (bench/scale_bench.py, docs/benchmarks.md block ``scale``) the
busy scopes measured showed no difference beyond the noise of a loaded machine; the index
bounds the quiet ones. The composite indexes also serve every lookup the single-column ones
served (same leading column), so those are dropped and intake writes no more index entries
than before.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 13:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

_PAIRS = (("state", "ix_cases_state_id"), ("grid_key", "ix_cases_grid_key_id"),
          ("department_key", "ix_cases_department_key_id"))  # fmt: skip


def upgrade() -> None:
    for column, name in _PAIRS:
        op.create_index(name, "cases", [column, "id"])
        op.drop_index(f"ix_cases_{column}", table_name="cases")


def downgrade() -> None:
    for column, name in _PAIRS:
        op.create_index(f"ix_cases_{column}", "cases", [column])
        op.drop_index(name, table_name="cases")
