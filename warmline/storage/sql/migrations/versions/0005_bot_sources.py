"""Outside bots: their sources (webhook URL, shadow mode, thresholds) and their conversation ids.

Revision ID: 0005_bot_sources
Revises: 0004_desk_links
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_bot_sources"
down_revision = "0004_desk_links"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bot_sources",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("staff_id", sa.String(40), sa.ForeignKey("staff.id"), nullable=False, unique=True),
        sa.Column("webhook_url", sa.Text, nullable=False),
        sa.Column("secret_nonce", sa.String(64), nullable=False),
        sa.Column("shadow", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "bot_conversations",
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("conversation_id", sa.String(40), sa.ForeignKey("conversations.id"), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("source", "external_id", name="pk_bot_conversations"),
    )


def downgrade() -> None:
    op.drop_table("bot_conversations")
    op.drop_table("bot_sources")
