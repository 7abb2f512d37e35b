"""The SQL event store: one implementation for SQLite and PostgreSQL.

Appends happen inside ``write(conversation_id)``: the conversation is locked (a row lock on
PostgreSQL, the single writer on SQLite), its state is read, the caller checks and appends, and on
leaving the block the events, the state snapshot, the inbox feed rows and the idempotency record
are committed together, or nothing is. On SQLite the event loop may gather the writes of one turn
in a group that commits them together (``groups``); each write in it still stands or falls
alone. Only ``warmline.conversation.actions`` calls ``write``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from warmline.conversation.events import EventBody, EventRecord, parse_body
from warmline.conversation.state import HUMAN, ConversationState, Status, apply, check, start
from warmline.errors import ConversationNotFound, IdempotencyKeyReused
from warmline.storage.sql.base import utc
from warmline.storage.sql.directory import SqlDirectory
from warmline.storage.sql.driver import DriverStatement
from warmline.storage.sql.groups import WriteGroups
from warmline.storage.sql.queues import SqlQueueView
from warmline.storage.sql.schema import (
    bot_conversations,
    conversations,
    events,
    feed,
    idempotency_keys,
    outbox,
    staff,
)

log = logging.getLogger("warmline.store")

# Events that change a queue, always written to the inbox feed.
QUEUE_EVENTS = frozenset({"escalated", "claimed", "released", "transferred", "handed_back", "closed"})
FEED_LOCK_KEY = 7_220_011  # PostgreSQL advisory lock that keeps feed positions in commit order

# Statements built once: building a statement per call costs more than SQLite takes to run it.
SELECT_STATE = select(conversations.c.state).where(conversations.c.id == bindparam("conversation_id"))
UPDATE_CONVERSATION = update(conversations).where(conversations.c.id == bindparam("conversation_id"))
INSERT_CONVERSATION = insert(conversations)
INSERT_EVENTS = insert(events)
EVENT_COLUMNS = ("conversation_id", "seq", "type", "version", "actor", "created_at", "body")
STATE_COLUMNS = (
    "status",
    "channel",
    "account_id",
    "team",
    "agent_id",
    "priority",
    "sla_due_at",
    "waiting_since",
    "last_seq",
    "state",
    "created_at",
    "updated_at",
)
INSERT_FEED = insert(feed)
INSERT_IDEMPOTENCY = insert(idempotency_keys)
INSERT_OUTBOX = insert(outbox)


@dataclass(frozen=True)
class IdempotencyClaim:
    """A write's Idempotency-Key: ``scope`` is who sent it, ``fingerprint`` what they sent."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class FeedEntry:
    position: int
    conversation_id: str
    seq: int
    type: str
    team: str | None
    agent_id: str | None
    at: datetime


@dataclass
class Writer:
    """A locked conversation: check and append events, committed together on leaving ``write``."""

    conversation_id: str
    state: ConversationState
    _connection: Connection
    _clock: Callable[[], datetime]
    replay: list[EventRecord] | None = None
    pending: list[EventRecord] = field(default_factory=list)
    # Outbound desk calls caused by this change: (desk, kind, body), committed with the events.
    outbox: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _history: list[EventRecord] | None = None

    def append(self, actor: str, body: EventBody) -> EventRecord:
        if self.replay is not None:
            raise RuntimeError("a replayed request must not append; return writer.replay instead")
        check(self.state, body, actor)
        record = EventRecord(
            conversation_id=self.conversation_id,
            seq=self.state.last_seq + 1,
            actor=actor,
            at=self._clock(),
            event=body,
        )
        self.state = apply(self.state, record)
        self.pending.append(record)
        return record

    def enqueue(self, desk: str, kind: str, body: dict[str, Any]) -> None:
        """Send ``body`` to ``desk`` once this change commits (durably, in order, with retries)."""
        self.outbox.append((desk, kind, body))

    def held_by(self, agent_id: str, *, lock: bool = False) -> int:
        """How many conversations ``agent_id`` holds now (read inside this transaction). With
        ``lock`` the agent's row is locked first (PostgreSQL; SQLite has one writer anyway), so
        that concurrent claims by one agent count one after the other and capacity holds."""
        if lock and self._connection.dialect.name == "postgresql":
            self._connection.execute(select(staff.c.id).where(staff.c.id == agent_id).with_for_update())
        query = select(func.count()).where(
            conversations.c.agent_id == agent_id, conversations.c.status == Status.WITH_AGENT.value
        )
        return int(self._connection.execute(query).scalar_one())

    def adopt_history(self, committed: list[EventRecord]) -> list[EventRecord] | None:
        """Take ``committed``, read before the lock, as the start of the committed log, and return
        what was committed after it (read now; empty when the log has not moved). The log is
        append-only, so a read from seq 1 with no gap is its start. None when ``committed`` is not
        one, or the history was already read."""
        if self._history is not None or self.pending or not committed:
            return None
        last = committed[-1].seq
        if committed[0].seq != 1 or len(committed) != last or last > self.state.last_seq:
            return None
        moved = _read_events(self._connection, self.conversation_id, last, None) if last < self.state.last_seq else []
        self._history = [*committed, *moved]
        return moved

    def history(self) -> list[EventRecord]:
        """Every event of the conversation so far, committed and pending."""
        if self._history is None:
            self._history = _read_events(self._connection, self.conversation_id, 0, None)
        return self._history + self.pending


class SqlStore(SqlDirectory, SqlQueueView):
    """The event log (conversations, events, the inbox feed, idempotency records) with the
    directory and the queue view on the same database (see ``warmline.storage.protocols``)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None):
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.postgres = engine.dialect.name == "postgresql"
        self._write_lock = getattr(engine, "info_write_lock", None)
        self._secret: str | None = None
        # SQLite: the event loop's writes are committed in groups.
        self.groups = None if self._write_lock is None else WriteGroups(engine, self._write_lock)
        # What every write runs, compiled for this database once (see ``driver``).
        dialect = engine.dialect
        self._lock_state = DriverStatement(SELECT_STATE.with_for_update() if self.postgres else SELECT_STATE, dialect)
        self._update_state = DriverStatement(UPDATE_CONVERSATION, dialect, STATE_COLUMNS)
        self._insert_events = DriverStatement(INSERT_EVENTS, dialect, EVENT_COLUMNS)

    # -- writing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connections; the store is not used afterwards."""
        if self.groups is not None:
            self.groups.close()
        self.engine.dispose()

    def after_commit(self, work: Callable[[], None]) -> None:
        """Run ``work`` once what this thread has written is committed: now, or when its group
        commits (see ``groups``). The write stands whatever ``work`` does: a failure there (the
        bus is down, a hook raised) is logged, never turned into the request's error."""

        def guarded() -> None:
            try:
                work()
            except Exception:
                log.exception("work after a commit failed; the write itself is stored")

        if self.groups is not None:
            self.groups.after_commit(guarded)
        else:
            guarded()

    def create(
        self,
        conversation_id: str,
        actor: str,
        body: EventBody,
        idempotency: IdempotencyClaim | None = None,
        external: tuple[str, str] | None = None,
    ) -> tuple[list[EventRecord], ConversationState, bool]:
        """Start a conversation: its first events, its state, and whether this was a replay.

        ``external`` is an outside bot's (source, external id) for the conversation: a unique key,
        so that of concurrent starts with the same key one creates and every other one gets the
        existing conversation (with no events: nothing was appended)."""
        try:
            with self._transaction() as connection:
                if idempotency and (stored := self._replay(connection, idempotency)) is not None:
                    return stored, self._state(connection, stored[0].conversation_id), True
                if external and (known := self._external(connection, external)) is not None:
                    return [], self._state(connection, known), True
                record = EventRecord(conversation_id=conversation_id, seq=1, actor=actor, at=self.clock(), event=body)
                state = start(record)
                connection.execute(INSERT_CONVERSATION, _projection(state))
                if external:
                    connection.execute(
                        insert(bot_conversations).values(
                            source=external[0],
                            external_id=external[1],
                            conversation_id=conversation_id,
                            created_at=record.at,
                        )
                    )
                self._insert(connection, state, [record], idempotency)
                return [record], state, False
        except IntegrityError:
            if external is not None:
                with self.engine.connect() as connection:
                    known = self._external(connection, external)
                    if known is None:
                        raise
                    return [], self._state(connection, known), True
            if idempotency is None:
                raise
            # Another request with the same key won the race: answer with its result.
            with self.engine.connect() as connection:
                stored = self._replay(connection, idempotency)
                if stored is None:
                    raise
                return stored, self._state(connection, stored[0].conversation_id), True

    @contextlib.contextmanager
    def write(self, conversation_id: str, idempotency: IdempotencyClaim | None = None) -> Iterator[Writer]:
        with self._transaction() as connection:
            writer = Writer(conversation_id, self._state(connection, conversation_id), connection, self.clock)
            if idempotency is not None:
                writer.replay = self._replay(connection, idempotency)
            yield writer
            if writer.pending:
                values = _projection(writer.state)
                values["conversation_id"] = conversation_id
                self._update_state.execute(connection, values)
            if writer.replay is None:
                self._insert(connection, writer.state, writer.pending, idempotency)
                if writer.outbox:
                    now = self.clock()
                    connection.execute(
                        INSERT_OUTBOX,
                        [
                            {
                                "desk": desk,
                                "conversation_id": conversation_id,
                                "seq": writer.state.last_seq,
                                "kind": kind,
                                "body": json.dumps(body, ensure_ascii=False),
                                "status": "pending",
                                "attempts": 0,
                                "next_attempt_at": now,
                                "created_at": now,
                            }
                            for desk, kind, body in writer.outbox
                        ],
                    )

    @staticmethod
    def _external(connection: Connection, external: tuple[str, str]) -> str | None:
        query = select(bot_conversations.c.conversation_id).where(
            bot_conversations.c.source == external[0], bot_conversations.c.external_id == external[1]
        )
        return connection.execute(query).scalar_one_or_none()

    def _state(self, connection: Connection, conversation_id: str) -> ConversationState:
        """The conversation's state, locked for this transaction (PostgreSQL row lock)."""
        rows = self._lock_state.execute(connection, {"conversation_id": conversation_id})
        if not rows:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        return ConversationState.from_dict(from_json(rows[0][0]))

    def _insert(
        self,
        connection: Connection,
        state: ConversationState,
        records: Sequence[EventRecord],
        idempotency: IdempotencyClaim | None,
    ) -> None:
        if records:
            self._insert_events.execute_many(
                connection,
                (
                    {
                        "conversation_id": r.conversation_id,
                        "seq": r.seq,
                        "type": r.type,
                        "version": r.event.version,
                        "actor": r.actor,
                        "created_at": r.at,
                        "body": r.event.model_dump_json(),
                    }
                    for r in records
                ),
            )
        rows = [_feed_row(state, r) for r in records if r.type in QUEUE_EVENTS or state.status in HUMAN]
        if rows:
            if self.postgres:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
            connection.execute(INSERT_FEED, rows)
        if idempotency is not None:
            connection.execute(
                INSERT_IDEMPOTENCY,
                {
                    "scope": idempotency.scope,
                    "key": idempotency.key,
                    "fingerprint": idempotency.fingerprint,
                    "conversation_id": state.id,
                    "seqs": json.dumps([r.seq for r in records]),
                    "created_at": self.clock(),
                },
            )

    def _replay(self, connection: Connection, claim: IdempotencyClaim) -> list[EventRecord] | None:
        row = connection.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.conversation_id, idempotency_keys.c.seqs).where(
                idempotency_keys.c.scope == claim.scope, idempotency_keys.c.key == claim.key
            )
        ).first()
        if row is None:
            return None
        if row.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
        seqs = json.loads(row.seqs)
        if not seqs:
            return []
        records = _read_events(connection, row.conversation_id, min(seqs) - 1, None)
        return [r for r in records if r.seq in set(seqs)]

    def purge_idempotency_keys(self, older_than: datetime) -> int:
        with self._transaction() as connection:
            result = connection.execute(idempotency_keys.delete().where(idempotency_keys.c.created_at < older_than))
            return result.rowcount or 0

    # -- reading -------------------------------------------------------------------------------

    def load_state(self, conversation_id: str) -> ConversationState:
        with self.engine.connect() as connection:
            row = connection.execute(select(conversations.c.state).where(conversations.c.id == conversation_id)).first()
        if row is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        return ConversationState.from_dict(json.loads(row[0]))

    def load_events(self, conversation_id: str, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        with self.engine.connect() as connection:
            return _read_events(connection, conversation_id, after_seq, limit)

    def latest_event(self, conversation_id: str, type_: str) -> EventRecord | None:
        """The newest event of one type in a conversation."""
        query = (
            select(events.c.seq, events.c.type, events.c.version, events.c.actor, events.c.created_at, events.c.body)
            .where(events.c.conversation_id == conversation_id, events.c.type == type_)
            .order_by(events.c.seq.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return EventRecord(
            conversation_id=conversation_id,
            seq=row.seq,
            actor=row.actor,
            at=utc(row.created_at),
            event=parse_body(row.type, row.version, json.loads(row.body)),
        )

    def ever_held(self, conversation_id: str, agent_id: str) -> bool:
        """Whether ``agent_id`` ever claimed the conversation (read from its log)."""
        query = select(events.c.body).where(events.c.conversation_id == conversation_id, events.c.type == "claimed")
        with self.engine.connect() as connection:
            return any(json.loads(row[0]).get("agent_id") == agent_id for row in connection.execute(query))

    def exists(self, conversation_id: str) -> bool:
        with self.engine.connect() as connection:
            query = select(conversations.c.id).where(conversations.c.id == conversation_id)
            return connection.execute(query).first() is not None

    def list_states(
        self,
        status: Status | None = None,
        team: str | None = None,
        limit: int = 50,
        updated_before: datetime | None = None,
        visible_to: tuple[Sequence[str], str] | None = None,
    ) -> list[ConversationState]:
        """Most recently active first. ``visible_to`` (teams, agent id) keeps only what an agent
        may read: conversations of those teams or held by that agent."""
        query = select(conversations.c.state).order_by(conversations.c.updated_at.desc(), conversations.c.id)
        if status is not None:
            query = query.where(conversations.c.status == status.value)
        if team is not None:
            query = query.where(conversations.c.team == team)
        if visible_to is not None:
            teams, agent_id = visible_to
            query = query.where(or_(conversations.c.team.in_(list(teams)), conversations.c.agent_id == agent_id))
        if updated_before is not None:
            query = query.where(conversations.c.updated_at < updated_before)
        with self.engine.connect() as connection:
            rows = connection.execute(query.limit(limit)).all()
        return [ConversationState.from_dict(json.loads(r[0])) for r in rows]

    def conversation_ids(self, since: datetime | None = None, until: datetime | None = None) -> list[str]:
        """Ids of the conversations started in [since, until), oldest first."""
        query = select(conversations.c.id).order_by(conversations.c.created_at, conversations.c.id)
        if since is not None:
            query = query.where(conversations.c.created_at >= since)
        if until is not None:
            query = query.where(conversations.c.created_at < until)
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(query)]

    def read_feed(
        self, after: int, teams: Sequence[str] | None, agent_id: str | None, limit: int = 200
    ) -> list[FeedEntry]:
        """Inbox entries after ``after``; ``teams=None`` means every team (leads and admins)."""
        query = select(feed).where(feed.c.position > after).order_by(feed.c.position).limit(limit)
        if teams is not None:
            query = query.where(or_(feed.c.team.in_(list(teams)), and_(feed.c.agent_id == agent_id)))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            FeedEntry(r.position, r.conversation_id, r.seq, r.type, r.team, r.agent_id, utc(r.created_at)) for r in rows
        ]

    def count_events(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


SELECT_EVENTS = (
    select(events.c.seq, events.c.type, events.c.version, events.c.actor, events.c.created_at, events.c.body)
    .where(events.c.conversation_id == bindparam("conversation_id"), events.c.seq > bindparam("after_seq"))
    .order_by(events.c.seq)
    .limit(bindparam("limit"))
)


def _read_events(connection: Connection, conversation_id: str, after_seq: int, limit: int | None) -> list[EventRecord]:
    params = {"conversation_id": conversation_id, "after_seq": after_seq, "limit": limit or 2**31 - 1}
    return [
        EventRecord(
            conversation_id=conversation_id,
            seq=row.seq,
            actor=row.actor,
            at=utc(row.created_at),
            event=parse_body(row.type, row.version, json.loads(row.body)),
        )
        for row in connection.execute(SELECT_EVENTS, params)
    ]


def _projection(state: ConversationState) -> dict[str, Any]:
    return {
        "id": state.id,
        "status": state.status.value,
        "channel": state.channel,
        "account_id": state.account_id,
        "team": state.team,
        "agent_id": state.agent_id,
        "priority": state.priority,
        "sla_due_at": state.sla_due_at,
        "waiting_since": state.waiting_since,
        "last_seq": state.last_seq,
        "state": to_json(state.to_dict()).decode(),  # pydantic-core's JSON: several times json's speed
        "created_at": state.created_at,
        "updated_at": state.updated_at,
    }


def _feed_row(state: ConversationState, record: EventRecord) -> dict[str, Any]:
    agent_id = state.agent_id or getattr(record.event, "agent_id", None)
    return {
        "conversation_id": record.conversation_id,
        "seq": record.seq,
        "type": record.type,
        "team": state.team,
        "agent_id": agent_id,
        "created_at": record.at,
    }
