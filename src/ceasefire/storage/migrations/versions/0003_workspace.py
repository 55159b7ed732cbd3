"""The workspace's own settings: which region its places and local times belong to.

Revision ID: 0003_workspace
Revises: 0002_cases

Creates exactly the table of `ceasefire.storage.settings_store`; change both
together. A record upgraded from 0002 gets the table empty: it names no region,
and the services read it in the default region, as they did before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_workspace"
down_revision: str | None = "0002_cases"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("workspace_settings")
