"""The ledger becomes a transparency log: leaf hashes, subtree hashes, checkpoints.

Revision ID: 0005_transparency
Revises: 0004_accounts

Entries written before (format 1, a hash chain) keep every field and their
signatures; each gets its RFC 9162 leaf hash, and the complete subtrees over them
are computed here, so the old chain is the first part of the tree. New entries
carry a salt and their key mode instead of the chain fields (`ceasefire.core.log`).
Downgrading is refused once the log holds an entry of the new form: the chain
could not express it.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from ceasefire.core import log, merkle

revision: str = "0005_transparency"
down_revision: str | None = "0004_accounts"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(sa.Column("salt", sa.String(32), nullable=True))
        batch.add_column(sa.Column("key_mode", sa.String(8), nullable=True))
        batch.add_column(sa.Column("leaf_hash", sa.String(64), nullable=True))
        batch.alter_column("payload_sha256", existing_type=sa.String(64), nullable=True)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=True)
    with op.batch_alter_table("ledger_head") as batch:
        batch.add_column(sa.Column("origin", sa.String(128), nullable=True))
        batch.add_column(sa.Column("log_key", sa.String(64), nullable=True))
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _index_old_entries()
    with op.batch_alter_table("ledger") as batch:
        batch.alter_column("leaf_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_ledger_leaf_hash", ["leaf_hash"])


def _index_old_entries() -> None:
    conn = op.get_bind()
    ledger = sa.table(
        "ledger",
        *(
            sa.column(c)
            for c in (
                "seq",
                "at",
                "user_name",
                "action",
                "payload",
                "payload_sha256",
                "prev_hash",
                "hash",
                "signature",
                "leaf_hash",
            )
        ),
    )
    nodes = sa.table("ledger_nodes", sa.column("level"), sa.column("idx"), sa.column("hash"))
    tree = merkle.Tree()
    rows = conn.execute(sa.select(ledger).order_by(ledger.c.seq)).mappings().all()
    for row in rows:
        entry = {
            "seq": row["seq"],
            "at": row["at"],
            "user": row["user_name"],
            "action": row["action"],
            "payload": json.loads(row["payload"]),
            "payload_sha256": row["payload_sha256"],
            "prev_hash": row["prev_hash"],
            "hash": row["hash"],
            "signature": row["signature"],
        }
        leaf = log.entry_leaf(entry)
        tree.append(leaf)
        conn.execute(ledger.update().where(ledger.c.seq == row["seq"]).values(leaf_hash=leaf.hex()))
    if tree.size:  # the head now records the newest leaf, not the newest chain hash
        head = sa.table("ledger_head", sa.column("id"), sa.column("hash"))
        conn.execute(head.update().values(hash=tree.levels[0][-1].hex()))
    for level, hashes in enumerate(tree.levels):
        if hashes:
            conn.execute(
                nodes.insert(),
                [{"level": level, "idx": i, "hash": h.hex()} for i, h in enumerate(hashes)],
            )


def downgrade() -> None:
    conn = op.get_bind()
    newer = conn.execute(sa.text("SELECT count(*) FROM ledger WHERE prev_hash IS NULL")).scalar()
    if newer:
        raise RuntimeError(
            f"the log holds {newer} entries of the tree form; a hash chain cannot express them"
        )
    last = conn.execute(sa.text("SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1")).scalar()
    if last is not None:
        conn.execute(sa.text("UPDATE ledger_head SET hash = :h"), {"h": last})
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_nodes")
    with op.batch_alter_table("ledger_head") as batch:
        batch.drop_column("log_key")
        batch.drop_column("origin")
    with op.batch_alter_table("ledger") as batch:
        batch.drop_constraint("uq_ledger_leaf_hash", type_="unique")
        batch.drop_column("leaf_hash")
        batch.drop_column("key_mode")
        batch.drop_column("salt")
        batch.alter_column("payload_sha256", existing_type=sa.String(64), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
