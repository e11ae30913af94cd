"""cases.category_source: where the category came from (staff = confirmed by a dispatcher)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category_source", sa.String(length=16), server_default="proposed", nullable=False
            )
        )
    # Existing rows: imports and residents' own choices are told apart as far as the data says;
    # nothing before this revision was confirmed by staff.
    op.execute("UPDATE cases SET category_source = 'imported' WHERE source = 'import'")
    op.execute(
        "UPDATE cases SET category_source = 'resident' WHERE source <> 'import' "
        "AND (proposed_category IS NULL OR proposed_category <> category_key) "
        "AND category_key <> 'other.general'"
    )
    op.execute(
        "UPDATE cases SET category_source = 'default' WHERE source <> 'import' "
        "AND proposed_category IS NULL AND category_key = 'other.general'"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("category_source")
