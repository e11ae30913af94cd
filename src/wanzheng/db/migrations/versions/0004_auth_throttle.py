"""auth_throttle: failed credential checks and lockouts per key; case_photos by content hash

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("auth_throttle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_throttle_expires_at"), ["expires_at"])
    # GET /api/photos/{sha256}.{ext} finds the photo's cases by its hash (the scope check)
    with op.batch_alter_table("case_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_photos_sha256"), ["sha256"])


def downgrade() -> None:
    with op.batch_alter_table("case_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_photos_sha256"))
    op.drop_table("auth_throttle")
