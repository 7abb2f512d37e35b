"""Table definitions. Migrations (``migrations/versions``) are the source of truth for the live
schema; this module mirrors them for queries and is checked against them by the tests."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a growing log.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Sequence numbers and cursors: 64-bit everywhere (SQLite's INTEGER already is).
Seq = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(24), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("account_id", String(64)),
    Column("team", String(64)),
    Column("agent_id", String(40)),
    Column("priority", Integer, nullable=False, default=3),
    Column("sla_due_at", DateTime(timezone=True)),
    Column("waiting_since", DateTime(timezone=True)),
    Column("last_seq", Seq, nullable=False),
    # The fold of the conversation's events, kept beside them so that a writer or reader does not
    # re-fold a long log; tests check it always equals fold(events).
    Column("state", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_conversations_status_updated", "status", "updated_at"),
    Index("ix_conversations_team_status", "team", "status"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=False),
    Column("seq", Seq, nullable=False),
    Column("type", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("conversation_id", "seq", name="uq_events_conversation_seq"),
    Index("ix_events_type_created", "type", "created_at"),
)

# The agent-inbox feed: one row per event that a queue or an assigned agent must see, in a
# strictly increasing position that is committed in order (streams resume from it).
feed = Table(
    "feed",
    metadata,
    Column("position", BigId, primary_key=True, autoincrement=True),
    Column("conversation_id", String(40), nullable=False),
    Column("seq", Seq, nullable=False),
    Column("type", String(40), nullable=False),
    Column("team", String(64)),
    Column("agent_id", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(120), nullable=False),
    Column("key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("conversation_id", String(40), nullable=False),
    Column("seqs", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    Index("ix_idempotency_created", "created_at"),
)

staff = Table(
    "staff",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("teams", Text, nullable=False, default="[]"),
    Column("capacity", Integer, nullable=False, default=3),
    Column("presence", String(16), nullable=False, default="offline"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(40), ForeignKey("staff.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("data", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Instance-wide secrets (e.g. the key that signs customer tokens), created on first migration.
instance = Table(
    "instance",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Outbound calls to support desks, written in the same transaction as the event that causes
# them and sent by the dispatcher with retries; ``dead`` rows wait for `warmline integrations retry`.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("desk", String(32), nullable=False),
    Column("conversation_id", String(40), nullable=False),
    Column("seq", Seq, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("progress", Text),  # JSON list of the plan steps already done (a retry skips them)
    Index("ix_outbox_due", "status", "next_attempt_at"),
    Index("ix_outbox_conversation", "desk", "conversation_id", "id"),
)

# What a desk told us about a conversation (its ticket id, the case's sys_id, its own
# conversation id), one row per name, so later calls update that record and webhooks that only
# name the desk's record find the conversation.
desk_links = Table(
    "desk_links",
    metadata,
    Column("desk", String(32), nullable=False),
    Column("conversation_id", String(40), nullable=False),
    Column("name", String(64), nullable=False),
    Column("value", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("desk", "conversation_id", "name", name="pk_desk_links"),
    Index("ix_desk_links_value", "desk", "name", "value"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("desk", String(32), nullable=False),
    Column("delivery_id", String(200), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("desk", "delivery_id", name="pk_webhook_deliveries"),
)

# Outside bots (``warmline token create --role bot``): one row per source, tied to the bot's API
# token (a ``staff`` row of role ``bot``). The webhook signing secret is not stored: it is derived
# from the instance secret and ``secret_nonce`` (a new nonce rotates it).
bot_sources = Table(
    "bot_sources",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("staff_id", String(40), ForeignKey("staff.id"), nullable=False, unique=True),
    Column("webhook_url", Text, nullable=False),
    Column("secret_nonce", String(64), nullable=False),
    Column("shadow", Boolean, nullable=False, default=False),
    Column("settings", Text, nullable=False, default="{}"),  # per-source thresholds, JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The bot's own conversation ids: (source, external_id) names at most one Warmline conversation.
bot_conversations = Table(
    "bot_conversations",
    metadata,
    Column("source", String(32), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("source", "external_id", name="pk_bot_conversations"),
)
