"""cases.owner_id (the account a case belongs to) and one_time_codes (purpose-tagged codes)

Residents' accounts were linked to every case filed with the phone they typed at
registration; from this revision a phone links only once proven with a one-time code.
Existing resident links are therefore unproven and dropped, and each case filed by a
logged-in resident is given to that account (its ``submit`` event names it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN … REFERENCES (SQLite allows it for a nullable column): no copy of
    # the cases table
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cases ADD COLUMN owner_id INTEGER REFERENCES users (id)")
    else:
        op.add_column(
            "cases",
            sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        )
    op.create_index(op.f("ix_cases_owner_id"), "cases", ["owner_id"])
    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("subject_key", sa.String(length=80), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_time_codes_subject_key"), ["subject_key"])
    op.execute(
        "UPDATE cases SET owner_id = (SELECT e.actor_id FROM case_events e JOIN users u "
        "ON u.id = e.actor_id WHERE e.case_id = cases.id AND e.action = 'submit' "
        "AND u.role = 'resident' ORDER BY e.id LIMIT 1)"
    )
    op.execute("UPDATE users SET person_id = NULL WHERE role = 'resident'")


def downgrade() -> None:
    op.drop_table("one_time_codes")
    op.drop_index(op.f("ix_cases_owner_id"), table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("owner_id")
