"""Group commits on SQLite: the event loop's writes of one turn, committed together.

SQLite takes one writer at a time, and committing costs more than the rest of a typical write.
The event loop runs the writes of many requests in one turn, so it opens a group, runs them, and
commits them together at the end of the turn (``warmline.api.deps.run_action``). Each write in a
group has a savepoint of its own, so a refused write undoes only itself, and the work that must
follow a commit (waking streams, hooks, answering the request) waits for the group's commit.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction

from warmline.storage.sql.driver import commit
from warmline.storage.sql.engine import Checkpointer, WriterBusy


@dataclass
class WriteGroup:
    """Writes committed together; see ``WriteGroups.begin``."""

    connection: Connection
    transaction: RootTransaction
    thread: int
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # What the group's owner waits on until the group is committed (or fails).
    waiting: list[Any] = field(default_factory=list)


class WriteGroups:
    """The groups of one SQLite database; ``write_lock`` is the process's writer lock."""

    def __init__(self, engine: Engine, write_lock: threading.Lock):
        self.engine = engine
        self.write_lock = write_lock
        self.checkpointer = Checkpointer(engine, write_lock)
        self._group: WriteGroup | None = None
        self._connection: Connection | None = None

    def begin(self) -> WriteGroup | None:
        """Open a group on this thread without waiting: None, having done nothing, when another
        thread or process holds SQLite's writer or the checkpointer waits for it. Until
        ``commit``, this thread's writes join the group."""
        assert self._group is None, "one group at a time"
        if self.checkpointer.wanted or not self.write_lock.acquire(blocking=False):
            return None
        try:
            connection = self._group_connection()
            transaction = connection.begin()
        except BaseException as error:
            self.write_lock.release()
            if isinstance(error, WriterBusy):
                return None
            self._drop_connection()
            raise
        self._group = WriteGroup(connection, transaction, threading.get_ident())
        return self._group

    def open(self) -> WriteGroup | None:
        """The group open on this thread, if any."""
        group = self._group
        return group if group is not None and group.thread == threading.get_ident() else None

    def taken_here(self) -> bool:
        """Whether a thread of this process holds SQLite's writer or the checkpointer waits for it."""
        return self.write_lock.locked() or self.checkpointer.wanted

    def commit(self) -> None:
        """Commit the open group, then run its ``after_commit`` work. If the commit fails, none of
        the group's writes is stored, its work is dropped, and the error is raised."""
        group, self._group = self._group, None
        assert group is not None, "no group is open"
        try:
            commit(group.connection, group.transaction)
        except BaseException:
            self._drop_connection()  # start the next group on a fresh connection
            raise
        finally:
            self.write_lock.release()
        self.checkpointer.written()
        for work in group.after_commit:
            work()

    def after_commit(self, work: Callable[[], None]) -> None:
        """Run ``work`` once what this thread has written is committed: now, or when its group
        commits."""
        group = self.open()
        if group is not None:
            group.after_commit.append(work)
        else:
            work()

    def close(self) -> None:
        """A group still open (its loop stopped before the commit) is dropped, uncommitted."""
        if self._group is not None:
            self._group = None
            self._drop_connection()
            self.write_lock.release()
        self._drop_connection()
        self.checkpointer.stop()

    def _group_connection(self) -> Connection:
        """Groups keep one connection, whose transactions never wait for SQLite's writer (a
        busy timeout of 0) and which skips the pool's check-out and check-in per group."""
        if self._connection is None:
            connection = self.engine.connect().execution_options(sqlite_write=True, sqlite_no_wait=True)
            driver = connection.connection.driver_connection
            driver.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            driver.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]  # see Checkpointer
            self._connection = connection
        return self._connection

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()  # never back to the pool: its busy timeout is 0
            connection.close()
