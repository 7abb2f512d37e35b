"""Engines for the two supported databases, and migrations.

SQLite (the embedded default) runs in WAL mode so readers never wait for the writer; write
transactions begin IMMEDIATE so a read-then-write never fails half-way on a lock upgrade, and one
in-process lock queues this process's writers instead of letting SQLite's busy handler sleep.
PostgreSQL serialises writers per conversation with row locks instead.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, insert, select

from warmline.storage.sql.driver import commit
from warmline.storage.sql.schema import instance

log = logging.getLogger("warmline.storage")
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for another process's transaction


class WriterBusy(Exception):
    """A write asked not to wait found the database's writer taken; it has done nothing."""


class Checkpointer:
    """Copies SQLite's write-ahead log into the database file from a thread of its own.

    A connection that commits normally checkpoints by itself now and then, and a checkpoint
    fsyncs: milliseconds, more on a busy disk. The event loop's connection must not stall like
    that, so it turns this off (``wal_autocheckpoint=0``) and calls ``written()`` after each
    commit; this thread then checkpoints at most every ``interval`` seconds. It holds the
    process's write lock meanwhile (the loop's writes wait those few milliseconds, without
    blocking the loop): a checkpoint that races with new commits never finishes, and the log is
    only started afresh after one that did, so without the lock it would grow for as long as
    writes keep coming."""

    def __init__(self, engine: Engine, write_lock: threading.Lock, interval: float = 1.0):
        self.engine = engine
        self.write_lock = write_lock
        self.interval = interval
        self.runs = 0
        self.wanted = False
        self._due = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def written(self) -> None:
        self._due.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="warmline-checkpoint", daemon=True)
            self._thread.start()

    def checkpoint(self) -> tuple[int, int, int]:
        """Checkpoint in two passes: (busy, frames in the log, frames checkpointed) of the second.
        The first copies most of the log while writes go on; the second, under the write lock,
        copies what was committed meanwhile and so completes, holding the lock a short time."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        self.wanted = True  # the loop opens no group meanwhile: it would take the lock straight back
        try:
            with self.write_lock, self.engine.connect() as connection:
                busy, log_frames, done = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        finally:
            self.wanted = False
        self.runs += 1
        return int(busy), int(log_frames), int(done)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._due.is_set():
            self.checkpoint()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self._due.is_set():
                self._due.clear()
                try:
                    self.checkpoint()
                except Exception:  # the next round tries again; the log only grows meanwhile
                    log.exception("checkpointing the write-ahead log failed")


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction of its own: on SQLite under the process's writer lock (so the event
    loop waits for it instead of finding the database busy) and BEGIN IMMEDIATE (so it never
    fails half-way upgrading a read to a write); on PostgreSQL, a plain transaction."""
    lock = getattr(engine, "info_write_lock", None) or contextlib.nullcontext()
    with lock, engine.connect().execution_options(sqlite_write=True) as connection:
        transaction = connection.begin()
        try:
            yield connection
        except BaseException:
            transaction.rollback()
            raise
        commit(connection, transaction)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine.info_write_lock = None  # type: ignore[attr-defined]
    return engine


def _sqlite_engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        raise ValueError("an in-memory SQLite database cannot be shared by the app's threads; use a file")
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}, pool_size=40, max_overflow=40
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        # Straight to the driver: this runs for every transaction, and SQLAlchemy's statement
        # machinery costs several times what SQLite takes to begin.
        driver = connection.connection.driver_connection
        options = connection.get_execution_options()
        if not options.get("sqlite_write"):
            driver.execute("BEGIN DEFERRED")
            return
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            # Only a connection that does not wait (``sqlite_no_wait``, busy timeout 0) gets here
            # because another process holds the writer; it is told so as WriterBusy.
            busy = getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
            if not options.get("sqlite_no_wait") or not busy:
                raise
            raise WriterBusy("another process holds the database's writer") from error

    engine.info_write_lock = threading.Lock()  # type: ignore[attr-defined]
    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision and create instance secrets once."""
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.begin() as connection:
        if connection.execute(select(instance.c.value).where(instance.c.key == "token_secret")).first() is None:
            connection.execute(insert(instance).values(key="token_secret", value=secrets.token_hex(32)))


def schema_is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
