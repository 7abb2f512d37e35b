"""Per-step progress of outbox items, and the desk records linked to each conversation.

Revision ID: 0004_desk_links
Revises: 0003_seq_bigint
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_desk_links"
down_revision = "0003_seq_bigint"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("progress", sa.Text))
    op.create_table(
        "desk_links",
        sa.Column("desk", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("desk", "conversation_id", "name", name="pk_desk_links"),
    )
    op.create_index("ix_desk_links_value", "desk_links", ["desk", "name", "value"])


def downgrade() -> None:
    op.drop_table("desk_links")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("progress")
