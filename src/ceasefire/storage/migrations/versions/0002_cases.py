"""Cases: users and tokens, allegations, evidence, answers, rulings, signatures, referrals, ledger.

Revision ID: 0002_cases
Revises: 0001_record

Creates exactly the tables of `ceasefire.storage.cases`; change both together.
Incidents are referenced as text (`source:source_id`), so there is no foreign
key into the tables of 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_cases"
down_revision: str | None = "0001_record"
branch_labels: str | None = None
depends_on: str | None = None


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(64), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        _time("created_at"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), sa.ForeignKey("users.name"), nullable=False),
        _time("created_at"),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_api_tokens_user_name", "api_tokens", ["user_name"])
    op.create_table(
        "allegations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("agreement_id", sa.String(128), nullable=False),
        sa.Column("complainant", sa.String(64), nullable=False),
        sa.Column("respondent", sa.String(64), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filed_by", sa.String(64), sa.ForeignKey("users.name"), nullable=False),
        _time("filed_at"),
        _time("due_at"),
        _time("updated_at"),
    )
    for column in ("agreement_id", "complainant", "respondent", "status"):
        op.create_index(f"ix_allegations_{column}", "allegations", [column])
    op.create_table(
        "allegation_incidents",
        sa.Column(
            "allegation_id", sa.String(32), sa.ForeignKey("allegations.id"), primary_key=True
        ),
        sa.Column("incident_ref", sa.String(255), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "evidence",
        sa.Column(
            "allegation_id", sa.String(32), sa.ForeignKey("allegations.id"), primary_key=True
        ),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("allegation_id", sa.String(32), sa.ForeignKey("allegations.id"), nullable=False),
        sa.Column("by_user", sa.String(64), sa.ForeignKey("users.name"), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _time("at"),
    )
    op.create_index("ix_answers_allegation_id", "answers", ["allegation_id"])
    op.create_table(
        "rulings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "allegation_id",
            sa.String(32),
            sa.ForeignKey("allegations.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("proposed_outcome", sa.String(32), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("panel", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), sa.ForeignKey("users.name"), nullable=True),
        _time("created_at"),
        _time("published_at", nullable=True),
        sa.Column("published_by", sa.String(64), sa.ForeignKey("users.name"), nullable=True),
    )
    op.create_table(
        "signatures",
        sa.Column("ruling_id", sa.Integer(), sa.ForeignKey("rulings.id"), primary_key=True),
        sa.Column("adjudicator", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), sa.ForeignKey("users.name"), nullable=False),
        sa.Column("position", sa.String(16), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        _time("at"),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("agreement_id", sa.String(128), nullable=False),
        sa.Column("respondent", sa.String(64), nullable=False),
        sa.Column("allegations", sa.JSON(), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("ruling_id", sa.Integer(), sa.ForeignKey("rulings.id"), nullable=False),
        sa.Column("created_by", sa.String(64), sa.ForeignKey("users.name"), nullable=False),
        _time("created_at"),
    )
    op.create_index("ix_referrals_agreement_id", "referrals", ["agreement_id"])
    op.create_index("ix_referrals_respondent", "referrals", ["respondent"])
    op.create_table(
        "ledger",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.UniqueConstraint("prev_hash", name="uq_ledger_prev_hash"),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ledger_head",
        "ledger",
        "referrals",
        "signatures",
        "rulings",
        "answers",
        "evidence",
        "allegation_incidents",
        "allegations",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
