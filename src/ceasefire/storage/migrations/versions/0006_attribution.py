"""Attribution: the source's words on incidents, claims beside them, events and the review queue.

Revision ID: 0006_attribution
Revises: 0005_transparency

Adds exactly the columns and tables of `ceasefire.storage.models` (IncidentRow's
source text, source admin names and review fields, FindingRow's party and grade, AttributionRow,
EventLinkRow, ReviewItemRow); change both together. Rows made before get empty
source text (re-ingesting a file fills it), findings grade `undetermined` until
the record is assessed again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_attribution"
down_revision: str | None = "0005_transparency"
branch_labels: str | None = None
depends_on: str | None = None

_NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("source_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("source_name", sa.String(200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("admin1", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("admin2", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("aggregate", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("reviewed_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("reviewed_at", _NOW, nullable=True))
        batch.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("party", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("grade", sa.String(20), nullable=False, server_default="undetermined")
        )
    op.create_index("ix_findings_grade", "findings", ["agreement_id", "reading", "grade"])
    op.create_table(
        "attributions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "incident_pk",
            sa.Integer(),
            sa.ForeignKey("incidents.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("actors", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("basis_kind", sa.String(20), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("span", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", _NOW, nullable=False),
    )
    op.create_index("ix_attributions_incident", "attributions", ["incident_pk"])
    op.create_table(
        "event_links",
        sa.Column(
            "report_pk",
            sa.Integer(),
            sa.ForeignKey("incidents.pk", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column(
            "event_pk",
            sa.Integer(),
            sa.ForeignKey("incidents.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("linked_by", sa.String(200), nullable=True),
        sa.Column("linked_at", _NOW, nullable=False),
    )
    op.create_index("ix_event_links_event", "event_links", ["event_pk"])
    op.create_table(
        "review_items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "incident_pk",
            sa.Integer(),
            sa.ForeignKey("incidents.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "other_pk",
            sa.Integer(),
            sa.ForeignKey("incidents.pk", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", _NOW, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", _NOW, nullable=False),
        sa.UniqueConstraint("kind", "incident_pk", "other_pk", name="uq_review_items_pair"),
    )
    op.create_index("ix_review_items_status", "review_items", ["status", "kind"])


def downgrade() -> None:
    op.drop_index("ix_review_items_status", "review_items")
    op.drop_table("review_items")
    op.drop_index("ix_event_links_event", "event_links")
    op.drop_table("event_links")
    op.drop_index("ix_attributions_incident", "attributions")
    op.drop_table("attributions")
    op.drop_index("ix_findings_grade", "findings")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("grade")
        batch.drop_column("party")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("review_reason")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by")
        batch.drop_column("aggregate")
        batch.drop_column("admin2")
        batch.drop_column("admin1")
        batch.drop_column("source_name")
        batch.drop_column("source_text")
