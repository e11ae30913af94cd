"""proactive tables: registers, access log, events, actions, rule runs, outbox, notices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:17:04.318149
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Installations that ran the proactive services before this revision already have the
    # tables (created by the former prepare_proactive, CREATE TABLE IF NOT EXISTS): adopt them.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "proactive_access_log" not in existing:
        op.create_table(
            "proactive_access_log",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("user", sa.String(length=100), nullable=False),
            sa.Column("role", sa.String(length=32), nullable=False),
            sa.Column("person_id", sa.String(length=64), nullable=False),
            sa.Column("action", sa.String(length=16), nullable=False),
            sa.Column("purpose", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("proactive_access_log", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_proactive_access_log_at"), ["at"], unique=False)
            batch_op.create_index(
                batch_op.f("ix_proactive_access_log_person_id"), ["person_id"], unique=False
            )

    if "proactive_actions" not in existing:
        op.create_table(
            "proactive_actions",
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("rule_id", sa.String(length=64), nullable=False),
            sa.Column("action", sa.String(length=16), nullable=False),
            sa.Column("to", sa.String(length=100), nullable=False),
            sa.Column("person_id", sa.String(length=64), nullable=False),
            sa.Column("grid_id", sa.String(length=64), nullable=False),
            sa.Column("community_id", sa.String(length=64), nullable=False),
            sa.Column("period", sa.String(length=64), nullable=False),
            sa.Column("title", sa.String(length=200), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=True),
            sa.Column("outbox_key", sa.String(length=220), nullable=True),
            sa.Column("run_id", sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint("key"),
        )
        with op.batch_alter_table("proactive_actions", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_proactive_actions_case_id"), ["case_id"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_proactive_actions_rule_id"), ["rule_id"], unique=False
            )

    if "proactive_events" not in existing:
        op.create_table(
            "proactive_events",
            sa.Column("id", sa.String(length=64), nullable=False),
            sa.Column("kind", sa.String(length=32), nullable=False),
            sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("grid_ids", sa.Text(), nullable=False),
            sa.Column("community_ids", sa.Text(), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("entered_by", sa.String(length=100), nullable=False),
            sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )

    if "proactive_notices" not in existing:
        op.create_table(
            "proactive_notices",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("delivery_key", sa.String(length=220), nullable=False),
            sa.Column("person_id", sa.String(length=100), nullable=False),
            sa.Column("subject", sa.String(length=200), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("delivery_key"),
        )
        with op.batch_alter_table("proactive_notices", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_proactive_notices_person_id"), ["person_id"], unique=False
            )

    if "proactive_outbox" not in existing:
        op.create_table(
            "proactive_outbox",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("key", sa.String(length=220), nullable=False),
            sa.Column("channel", sa.String(length=32), nullable=False),
            sa.Column("recipient", sa.String(length=100), nullable=False),
            sa.Column("subject", sa.String(length=200), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
            sa.Column("claim_token", sa.String(length=64), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("key"),
        )
        with op.batch_alter_table("proactive_outbox", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_proactive_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_proactive_outbox_status"), ["status"], unique=False
            )

    if "proactive_register" not in existing:
        op.create_table(
            "proactive_register",
            sa.Column("person_id", sa.String(length=64), nullable=False),
            sa.Column("name", sa.String(length=100), nullable=False),
            sa.Column("birth_date", sa.Date(), nullable=False),
            sa.Column("living_alone", sa.Boolean(), nullable=False),
            sa.Column("disability_level", sa.Integer(), nullable=False),
            sa.Column("chronic_conditions", sa.String(length=200), nullable=False),
            sa.Column("newborn_birth_date", sa.Date(), nullable=True),
            sa.Column("special_care", sa.String(length=100), nullable=False),
            sa.Column("grid_id", sa.String(length=64), nullable=False),
            sa.Column("community_id", sa.String(length=64), nullable=False),
            sa.Column("address", sa.String(length=300), nullable=False),
            sa.Column("phone", sa.String(length=32), nullable=False),
            sa.Column("source", sa.String(length=300), nullable=False),
            sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("person_id"),
        )
        with op.batch_alter_table("proactive_register", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_proactive_register_community_id"), ["community_id"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_proactive_register_grid_id"), ["grid_id"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_proactive_register_imported_at"), ["imported_at"], unique=False
            )

    if "proactive_rule_runs" not in existing:
        op.create_table(
            "proactive_rule_runs",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("by", sa.String(length=100), nullable=False),
            sa.Column("rules_name", sa.String(length=200), nullable=False),
            sa.Column("rules_version", sa.String(length=64), nullable=False),
            sa.Column("rules_origin", sa.String(length=300), nullable=False),
            sa.Column("n_proposed", sa.Integer(), nullable=False),
            sa.Column("n_new", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("proactive_rule_runs")
    with op.batch_alter_table("proactive_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_register_imported_at"))
        batch_op.drop_index(batch_op.f("ix_proactive_register_grid_id"))
        batch_op.drop_index(batch_op.f("ix_proactive_register_community_id"))

    op.drop_table("proactive_register")
    with op.batch_alter_table("proactive_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_proactive_outbox_next_attempt_at"))

    op.drop_table("proactive_outbox")
    with op.batch_alter_table("proactive_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_notices_person_id"))

    op.drop_table("proactive_notices")
    op.drop_table("proactive_events")
    with op.batch_alter_table("proactive_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_actions_rule_id"))
        batch_op.drop_index(batch_op.f("ix_proactive_actions_case_id"))

    op.drop_table("proactive_actions")
    with op.batch_alter_table("proactive_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_access_log_person_id"))
        batch_op.drop_index(batch_op.f("ix_proactive_access_log_at"))

    op.drop_table("proactive_access_log")
    # ### end Alembic commands ###
