"""What the rest of Warmline needs from storage, as three small protocols.

- ``EventLog``: conversations as append-only logs of typed events, their state snapshots, the
  inbox feed and idempotency records. Only the actions (``warmline.conversation.actions``) call
  ``create`` and ``write``; everything else reads.
- ``Directory``: the instance secret, staff and their API tokens, presence, accounts.
- ``QueueView``: who waits for which team, and each team's load.

``warmline.storage.sql.store.SqlStore`` implements all three on SQLite and PostgreSQL (the store
contract tests run against both). Code that needs only one of them takes that protocol, so a
reader sees what it touches and a test can hand it something smaller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from warmline.conversation.events import EventBody, EventRecord
from warmline.conversation.state import ConversationState, Status

if TYPE_CHECKING:
    from warmline.storage.sql.store import FeedEntry, IdempotencyClaim, Writer


@runtime_checkable
class EventLog(Protocol):
    def create(
        self,
        conversation_id: str,
        actor: str,
        body: EventBody,
        idempotency: IdempotencyClaim | None = None,
        external: tuple[str, str] | None = None,
    ) -> tuple[list[EventRecord], ConversationState, bool]:
        """Start a conversation with its first event; the bool says whether it was created now
        (False: an Idempotency-Key or an external id named an existing one)."""
        ...

    def write(
        self, conversation_id: str, idempotency: IdempotencyClaim | None = None
    ) -> AbstractContextManager[Writer]:
        """The conversation locked for appending; committed on leaving the block, or not at all."""
        ...

    def after_commit(self, work: Callable[[], None]) -> None: ...

    def load_state(self, conversation_id: str) -> ConversationState: ...

    def load_events(self, conversation_id: str, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]: ...

    def latest_event(self, conversation_id: str, type_: str) -> EventRecord | None: ...

    def ever_held(self, conversation_id: str, agent_id: str) -> bool: ...

    def exists(self, conversation_id: str) -> bool: ...

    def list_states(
        self,
        status: Status | None = None,
        team: str | None = None,
        limit: int = 50,
        updated_before: datetime | None = None,
        visible_to: tuple[Sequence[str], str] | None = None,
    ) -> list[ConversationState]: ...

    def conversation_ids(self, since: datetime | None = None, until: datetime | None = None) -> list[str]: ...

    def read_feed(
        self, after: int, teams: Sequence[str] | None, agent_id: str | None, limit: int = 200
    ) -> list[FeedEntry]: ...

    def purge_idempotency_keys(self, older_than: datetime) -> int: ...


@runtime_checkable
class Directory(Protocol):
    def token_secret(self) -> str: ...

    @property
    def token_secret_cached(self) -> bool:
        """Whether ``token_secret`` answers without the database (the hot path checks first)."""
        ...

    def add_staff(
        self, staff_id: str, name: str, role: str, teams: list[str], capacity: int, token_hash: str
    ) -> None: ...

    def staff_by_token(self, token_hash: str) -> dict[str, Any] | None: ...

    def get_staff(self, staff_id: str) -> dict[str, Any] | None: ...

    def set_presence(self, staff_id: str, presence: str) -> None: ...

    def upsert_accounts(self, records: Sequence[dict[str, Any]]) -> int: ...

    def get_account(self, account_id: str) -> dict[str, Any] | None: ...


@runtime_checkable
class QueueView(Protocol):
    def queue(self, team: str | None, limit: int = 100) -> list[ConversationState]:
        """Conversations waiting for an agent, most urgent first."""
        ...

    def team_load(self) -> dict[str, dict[str, Any]]:
        """Per team: waiting, oldest_waiting_since, agents_online, free_capacity."""
        ...


class Store(EventLog, Directory, QueueView, Protocol):
    """All three, as the service holds them."""
