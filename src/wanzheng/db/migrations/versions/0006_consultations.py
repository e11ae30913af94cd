"""consultations (议事协商): consultations, options, steps, electors, voters, ballots, paper
counts, proposals, supports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consult_consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("community_name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("origin_ref", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("pick_n", sa.Integer(), nullable=True),
        sa.Column("budget", sa.Float(), nullable=True),
        sa.Column("verify", sa.String(length=16), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_consult_consultations_community_id", "consult_consultations", ["community_id"]
    )
    op.create_table(
        "consult_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("residents_new", sa.Float(), nullable=True),
        sa.Column("site", sa.JSON(), nullable=True),
        sa.Column("reach", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consult_consultations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consult_options_consultation_id", "consult_options", ["consultation_id"])
    op.create_table(
        "consult_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.Column("deadline", _TS, nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("done_at", _TS, nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consult_consultations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "kind"),
    )
    op.create_index("ix_consult_steps_consultation_id", "consult_steps", ["consultation_id"])
    op.create_table(
        "consult_electors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("imported_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "id_hash"),
    )
    op.create_index("ix_consult_electors_community_id", "consult_electors", ["community_id"])
    op.create_index("ix_consult_electors_phone_hash", "consult_electors", ["phone_hash"])
    op.create_table(
        "consult_voters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consult_consultations.id"]),
        sa.ForeignKeyConstraint(["elector_id"], ["consult_electors.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "elector_id"),
    )
    op.create_index("ix_consult_voters_consultation_id", "consult_voters", ["consultation_id"])
    op.create_table(
        "consult_ballots",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("receipt_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consult_consultations.id"]),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("receipt_hash"),
    )
    op.create_index("ix_consult_ballots_consultation_id", "consult_ballots", ["consultation_id"])
    op.create_table(
        "consult_paper_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("booth", sa.String(length=100), nullable=False),
        sa.Column("ballots", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("entered_at", _TS, nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("confirmed_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["consultation_id"], ["consult_consultations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "booth"),
    )
    op.create_index(
        "ix_consult_paper_counts_consultation_id", "consult_paper_counts", ["consultation_id"]
    )
    op.create_table(
        "consult_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("reached_at", _TS, nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consult_proposals_community_id", "consult_proposals", ["community_id"])
    op.create_table(
        "consult_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["consult_proposals.id"]),
        sa.ForeignKeyConstraint(["elector_id"], ["consult_electors.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "elector_id"),
    )
    op.create_index("ix_consult_supports_proposal_id", "consult_supports", ["proposal_id"])


def downgrade() -> None:
    for table in (
        "consult_supports",
        "consult_proposals",
        "consult_paper_counts",
        "consult_ballots",
        "consult_voters",
        "consult_electors",
        "consult_steps",
        "consult_options",
        "consult_consultations",
    ):
        op.drop_table(table)
