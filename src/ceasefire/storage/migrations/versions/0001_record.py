"""The record: agreement files, actors, zones, agreements, incidents, findings.

Revision ID: 0001_record
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_record"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "agreement_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_agreement_files_sha256"),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column(
            "file_id",
            sa.Integer(),
            sa.ForeignKey("agreement_files.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "actors",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("t0", sa.BigInteger(), nullable=False),
        sa.Column("t1", sa.BigInteger(), nullable=False),
        sa.Column("time_precision", sa.String(50), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("area_code", sa.String(100), nullable=True),
        sa.Column("area_name", sa.Text(), nullable=False),
        sa.Column("place_name", sa.Text(), nullable=False),
        sa.Column("act", sa.String(50), nullable=False),
        sa.Column("perpetrators", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("directed", sa.Boolean(), nullable=False),
        sa.Column("killed_low", sa.Float(), nullable=True),
        sa.Column("killed_best", sa.Float(), nullable=True),
        sa.Column("killed_high", sa.Float(), nullable=True),
        sa.Column("perpetrator_text", sa.Text(), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("source", "source_id", name="uq_incidents_source"),
    )
    op.create_index("ix_incidents_t0", "incidents", ["t0"])
    op.create_index("ix_incidents_lon_lat", "incidents", ["lon", "lat"])
    op.create_table(
        "findings",
        sa.Column(
            "incident_pk",
            sa.Integer(),
            sa.ForeignKey("incidents.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("agreement_id", sa.String(200), primary_key=True),
        sa.Column("reading", sa.String(200), primary_key=True),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
    )
    op.create_index("ix_findings_category", "findings", ["category"])
    op.create_index("ix_findings_agreement", "findings", ["agreement_id", "reading"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("incidents")
    op.drop_table("zones")
    op.drop_table("actors")
    op.drop_table("agreements")
    op.drop_table("agreement_files")
