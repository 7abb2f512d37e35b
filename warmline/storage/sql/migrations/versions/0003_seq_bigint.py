"""Sequence numbers are BIGINT on PostgreSQL, like the ids and feed positions beside them.

A cursor past 2**31 (``?after=``, ``Last-Event-ID``) then compares as a 64-bit number instead of
failing in the driver. SQLite's INTEGER is already 64-bit: nothing changes there.

Revision ID: 0003_seq_bigint
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_seq_bigint"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (("events", "seq"), ("conversations", "last_seq"), ("feed", "seq"), ("outbox", "seq"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
