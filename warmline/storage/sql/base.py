"""What every part of the SQL store shares: the engine, the clock and, on SQLite, the event
loop's write groups, through which each part's writes join the open group."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from warmline.storage.sql.driver import savepoint
from warmline.storage.sql.engine import write_transaction
from warmline.storage.sql.groups import WriteGroups


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything Warmline stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SqlBase:
    engine: Engine
    clock: Callable[[], datetime]
    groups: WriteGroups | None  # SQLite: the event loop's writes are committed in groups

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A write: a savepoint in the loop's open group, or a transaction of its own."""
        group = self.groups.open() if self.groups is not None else None
        if group is not None:
            with savepoint(group.connection):
                yield group.connection
            return
        with write_transaction(self.engine) as connection:
            yield connection
