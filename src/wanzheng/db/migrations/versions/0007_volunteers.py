"""volunteers (双报到): registry, micro-tasks, claims and the hours ledger

New tables only, each referring to tables of revision 0005 and earlier (persons,
communities, grids, cases, users), so the revision applies the same after any revision that
does not touch those tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "community_key", sa.String(length=64), sa.ForeignKey("communities.key"), nullable=False
        ),
        sa.Column("grid_key", sa.String(length=64), sa.ForeignKey("grids.key"), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    op.create_index(op.f("ix_volunteers_community_key"), "volunteers", ["community_key"])
    op.create_index(op.f("ix_volunteers_grid_key"), "volunteers", ["grid_key"])
    op.create_index(op.f("ix_volunteers_unit"), "volunteers", ["unit"])
    op.create_table(
        "volunteer_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("skill", sa.String(length=32), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("grid_key", sa.String(length=64), sa.ForeignKey("grids.key"), nullable=True),
        sa.Column(
            "community_key", sa.String(length=64), sa.ForeignKey("communities.key"), nullable=True
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("published_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), sa.ForeignKey("volunteers.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_volunteer_tasks_case_id"), "volunteer_tasks", ["case_id"])
    op.create_index(op.f("ix_volunteer_tasks_starts_at"), "volunteer_tasks", ["starts_at"])
    op.create_index(op.f("ix_volunteer_tasks_grid_key"), "volunteer_tasks", ["grid_key"])
    op.create_index(op.f("ix_volunteer_tasks_state"), "volunteer_tasks", ["state"])
    op.create_table(
        "volunteer_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("volunteer_tasks.id"), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), sa.ForeignKey("volunteers.id"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_volunteer_claims_task_id"), "volunteer_claims", ["task_id"])
    op.create_index(op.f("ix_volunteer_claims_volunteer_id"), "volunteer_claims", ["volunteer_id"])
    op.create_index(op.f("ix_volunteer_claims_state"), "volunteer_claims", ["state"])
    op.create_table(
        "volunteer_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), sa.ForeignKey("volunteers.id"), nullable=False),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("volunteer_claims.id"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_volunteer_hours_volunteer_id"), "volunteer_hours", ["volunteer_id"])
    op.create_index(op.f("ix_volunteer_hours_served_at"), "volunteer_hours", ["served_at"])


def downgrade() -> None:
    op.drop_table("volunteer_hours")
    op.drop_table("volunteer_claims")
    op.drop_table("volunteer_tasks")
    op.drop_table("volunteers")
