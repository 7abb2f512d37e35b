"""What runs straight on the database driver: Core statements compiled once, commits, savepoints.

Every customer message runs the same few statements (read the state, update it, insert the
events). Through ``Connection.execute`` each one pays for SQLAlchemy's per-execution work
(compiled-cache lookup, events, result set-up), which costs several times what SQLite takes to run
it. ``DriverStatement`` does that work once per dialect: it keeps the compiled SQL, the order of its
parameters and their types' bind processors (SQLite, for one, stores datetimes as text), so each
run is one driver call. The statement stays a Core construct, so both databases share it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Dialect, RootTransaction
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class DriverStatement:
    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] | None = None):
        """``keys``: for INSERT and UPDATE, the columns every run gives values for."""
        compiled = cast(
            SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        )
        self.sql = compiled.string
        self._positional = compiled.positional
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        self._params: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        ]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """``values`` by name, converted for the driver and in the order its paramstyle wants."""
        converted = [
            value if process is None or value is None else process(value)
            for name, process in self._params
            for value in (values[name],)
        ]
        if self._positional:
            return tuple(converted)
        return dict(zip((name for name, _ in self._params), converted, strict=True))

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run in ``connection``'s transaction; the rows it returns, if any."""
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, self.parameters(values))
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def execute_many(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, [self.parameters(row) for row in rows])
        finally:
            cursor.close()


def commit(connection: Connection, transaction: RootTransaction) -> None:
    """Commit; if that fails, also end the driver's transaction. SQLAlchemy counts a transaction
    whose COMMIT failed as over, but SQLite keeps it open (holding the database's writer) in a
    connection that the pool would hand out again."""
    try:
        transaction.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            connection.connection.driver_connection.rollback()  # type: ignore[union-attr]
        raise


@contextlib.contextmanager
def savepoint(connection: Connection) -> Iterator[None]:
    """A write inside a larger transaction, undone alone if it fails."""
    driver = connection.connection.driver_connection
    driver.execute("SAVEPOINT warmline_write")  # type: ignore[union-attr]
    try:
        yield
    except BaseException:
        driver.execute("ROLLBACK TO warmline_write")  # type: ignore[union-attr]
        driver.execute("RELEASE warmline_write")  # type: ignore[union-attr]
        raise
    driver.execute("RELEASE warmline_write")  # type: ignore[union-attr]
