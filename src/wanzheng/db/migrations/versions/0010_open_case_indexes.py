"""Partial indexes of the open cases of a grid and of a department, for the overdue list

The overdue list of a grid or a department (``crud.overdue_page``, most late first) and the
escalation's batches (``crud.overdue_batches``, keyset by id) read the open cases of a scope
whose deadline has passed unmet (``crud.overdue_clause``). The open cases are a small share
of the stored ones and scattered over the whole table: at 10M generated cases on PostgreSQL
(bench/scale_bench.py, ``--keep``) the busiest grid holds 844,355 cases, 35,491 open,
35,091 of them overdue, and its overdue page went through the (state, id) and (grid_key, id)
indexes to the heap: 172,125 pages read (1.3 GiB), 1.45–1.70 s (EXPLAIN ANALYZE, BUFFERS);
the first batch of 1000 was a parallel scan of the whole table (356,354 pages, 2.0 s).

``ix_cases_open_grid`` / ``ix_cases_open_department``: (scope column, id) of the cases
``WHERE state NOT IN ('closed', 'merged', 'rejected', 'resolved')`` — written as
``overdue_clause`` writes it, so the query implies the predicate — carrying on PostgreSQL
(``INCLUDE``) the columns the overdue list reads, so the list is an index-only scan of the
scope's open cases: 494 pages read in 22 ms cold, 15 ms warm; a batch of 1000, 18 pages in
0.3 ms (after a VACUUM has set the visibility map; before it, 25,314 pages in 138 ms). On
SQLite (no ``INCLUDE``) the indexes hold the key columns only. Both indexes are 1.18M
entries at 10M cases, built in 3.5 s each on that machine.

Intake writes one more index entry per scope index for each open case (a new case is open:
two entries), and a case that closes leaves both; a transition that changes a carried
column cannot be a heap-only update — the state, which every transition changes, was
already indexed by (state, id).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_OPEN = "state NOT IN ('closed', 'merged', 'rejected', 'resolved')"
_CARRIED = ("state", "escalation_level", "sign_due", "respond_due", "resolve_due",
            "accepted_at", "responded_at", "resolved_at")  # fmt: skip
_INDEXES = (("ix_cases_open_grid", "grid_key", ("department_key", *_CARRIED)),
            ("ix_cases_open_department", "department_key", ("grid_key", *_CARRIED)))  # fmt: skip


def upgrade() -> None:
    for name, scope, carried in _INDEXES:
        op.create_index(name, "cases", [scope, "id"], postgresql_include=list(carried),
                        postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))  # fmt: skip


def downgrade() -> None:
    for name, _scope, _carried in _INDEXES:
        op.drop_index(name, table_name="cases")
