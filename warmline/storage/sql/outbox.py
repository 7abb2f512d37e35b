"""The desk outbox and webhook delivery log, on the same database as the event store.

Rows are written by the conversation writer in the event's own transaction (``Writer.enqueue``);
this module hands due rows to the dispatcher, in order per desk and conversation, and records
what happened to them: each step of an item as it succeeds (with what the desk answered that
later calls need, the *links*), so a retried item never repeats a step that went through.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from warmline.storage.sql.engine import write_transaction
from warmline.storage.sql.schema import desk_links, outbox, webhook_deliveries
from warmline.storage.sql.store import utc


@dataclass(frozen=True)
class OutboxItem:
    id: int
    desk: str
    conversation_id: str
    seq: int
    kind: str
    body: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    done: tuple[str, ...] = ()  # plan steps already delivered


class OutboxStore:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None):
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    def due(self, limit: int = 50, desk: str | None = None) -> list[OutboxItem]:
        """Pending items whose time has come and that are the oldest unsent item of their
        conversation for their desk: a conversation's calls reach the desk in order."""
        earlier = aliased(outbox)
        blocked = exists().where(
            and_(
                earlier.c.desk == outbox.c.desk,
                earlier.c.conversation_id == outbox.c.conversation_id,
                earlier.c.id < outbox.c.id,
                earlier.c.status.in_(("pending", "dead")),
            )
        )
        query = (
            select(outbox)
            .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= self.clock(), ~blocked)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if desk is not None:
            query = query.where(outbox.c.desk == desk)
        with self.engine.connect() as connection:
            return [_item(row) for row in connection.execute(query)]

    def items(self, status: str | None = None, desk: str | None = None, limit: int = 200) -> list[OutboxItem]:
        query = select(outbox).order_by(outbox.c.id).limit(limit)
        if status is not None:
            query = query.where(outbox.c.status == status)
        if desk is not None:
            query = query.where(outbox.c.desk == desk)
        with self.engine.connect() as connection:
            return [_item(row) for row in connection.execute(query)]

    def claim(self, item_id: int, lease: timedelta) -> bool:
        """Take a due item for one delivery attempt; False when another dispatcher has it. The
        lease pushes its next attempt into the future, so should this dispatcher die mid-send,
        the item becomes due again once the lease runs out (at-least-once delivery)."""
        now = self.clock()
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(outbox)
                .where(outbox.c.id == item_id, outbox.c.status == "pending", outbox.c.next_attempt_at <= now)
                .values(next_attempt_at=now + lease)
            )
            return result.rowcount == 1

    def _set(self, item_id: int, **values: Any) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(update(outbox).where(outbox.c.id == item_id).values(**values))

    def record_step(self, item: OutboxItem, step: str, learned: dict[str, str]) -> OutboxItem:
        """One step of ``item`` went through: remember it, and what the desk told us, together."""
        done = (*item.done, step)
        with write_transaction(self.engine) as connection:
            connection.execute(update(outbox).where(outbox.c.id == item.id).values(progress=json.dumps(done)))
            self._link(connection, item.desk, item.conversation_id, learned)
        return OutboxItem(**{**item.__dict__, "done": done})

    def links(self, desk: str, conversation_id: str) -> dict[str, str]:
        query = select(desk_links.c.name, desk_links.c.value).where(
            desk_links.c.desk == desk, desk_links.c.conversation_id == conversation_id
        )
        with self.engine.connect() as connection:
            return {name: value for name, value in connection.execute(query)}

    def link(self, desk: str, conversation_id: str, learned: dict[str, str]) -> None:
        """Remember what a desk's webhook told us about a conversation (e.g. its ticket id)."""
        if learned:
            with write_transaction(self.engine) as connection:
                self._link(connection, desk, conversation_id, learned)

    def conversation_for(self, desk: str, name: str, value: str) -> str | None:
        """The conversation a desk record belongs to (a webhook naming only the ticket)."""
        query = select(desk_links.c.conversation_id).where(
            desk_links.c.desk == desk, desk_links.c.name == name, desk_links.c.value == value
        )
        with self.engine.connect() as connection:
            return connection.execute(query.limit(1)).scalar()

    def _link(self, connection: Connection, desk: str, conversation_id: str, learned: dict[str, str]) -> None:
        now = self.clock()
        for name, value in learned.items():
            key = (desk_links.c.desk == desk) & (desk_links.c.conversation_id == conversation_id)
            connection.execute(delete(desk_links).where(key & (desk_links.c.name == name)))
            connection.execute(
                insert(desk_links).values(
                    desk=desk, conversation_id=conversation_id, name=name, value=str(value)[:200], updated_at=now
                )
            )

    def mark_sent(self, item_id: int, attempts: int) -> None:
        self._set(item_id, status="sent", attempts=attempts, sent_at=self.clock(), last_error=None)

    def mark_retry(self, item_id: int, attempts: int, next_attempt_at: datetime, error: str) -> None:
        self._set(item_id, attempts=attempts, next_attempt_at=next_attempt_at, last_error=error[:2000])

    def mark_dead(self, item_id: int, attempts: int, error: str) -> None:
        self._set(item_id, status="dead", attempts=attempts, last_error=error[:2000])

    def retry_dead(self, desk: str | None = None, item_ids: list[int] | None = None) -> int:
        """Send dead-lettered items again from now on; returns how many."""
        query = update(outbox).where(outbox.c.status == "dead")
        if desk is not None:
            query = query.where(outbox.c.desk == desk)
        if item_ids:
            query = query.where(outbox.c.id.in_(item_ids))
        with write_transaction(self.engine) as connection:
            result = connection.execute(query.values(status="pending", attempts=0, next_attempt_at=self.clock()))
            return result.rowcount or 0

    def remember_delivery(self, desk: str, delivery_id: str) -> bool:
        """Record a webhook delivery; False when it was seen before (a replay or a duplicate)."""
        try:
            with write_transaction(self.engine) as connection:
                connection.execute(
                    insert(webhook_deliveries).values(desk=desk, delivery_id=delivery_id, received_at=self.clock())
                )
        except IntegrityError:
            return False
        return True


def _item(row: Any) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        desk=row.desk,
        conversation_id=row.conversation_id,
        seq=row.seq,
        kind=row.kind,
        body=json.loads(row.body),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=utc(row.next_attempt_at),
        last_error=row.last_error,
        done=tuple(json.loads(row.progress)) if row.progress else (),
    )
