"""Group commits on SQLite: the event loop's writes of one turn, committed together."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from tests.conftest import make_services
from warmline.auth import Principal
from warmline.conversation import actions
from warmline.conversation.events import CustomerMessage
from warmline.conversation.state import Status, fold
from warmline.errors import IllegalTransition
from warmline.queue.actions import do_resolve
from warmline.storage.sql.engine import write_transaction
from warmline.storage.sql.outbox import OutboxStore

# An event of no conversation: with deferred foreign keys, SQLite refuses it only at COMMIT.
ORPHAN_EVENT = (
    "INSERT INTO events (conversation_id, seq, type, version, actor, created_at, body)"
    " VALUES ('cv_missing', 1, 'note_added', 1, 'x', '2026-01-01 00:00:00.000000', '{}')"
)


@pytest.fixture
def svc(sqlite_url):
    services = make_services(sqlite_url)
    yield services
    services.close()


def other_connection(svc) -> sqlite3.Connection:
    """A second client of the same database file, as another process would be."""
    return sqlite3.connect(svc.store.engine.url.database, isolation_level=None, timeout=0.1, check_same_thread=False)


def stored_events(svc, cid: str) -> int:
    with other_connection(svc) as connection:
        return int(connection.execute("SELECT count(*) FROM events WHERE conversation_id = ?", (cid,)).fetchone()[0])


def test_a_group_is_stored_and_announced_only_when_it_commits(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    announced: list[int] = []
    svc.on_commit.append(lambda outcome: announced.append(outcome.events[0].seq))

    group = svc.store.groups.begin()
    assert group is not None
    first = actions.do_post_customer_message(svc, cid, "first")
    second = actions.do_post_customer_message(svc, cid, "second")  # sees the first, uncommitted
    assert [e.seq for e in first.events + second.events] == [2, 3, 4, 5]
    assert stored_events(svc, cid) == 1 and announced == []
    svc.store.groups.commit()

    assert stored_events(svc, cid) == 5 and announced == [2, 4]
    records = svc.store.load_events(cid)
    assert svc.store.load_state(cid) == fold(records)


def test_a_refused_write_in_a_group_undoes_only_itself(svc) -> None:
    kept = actions.do_start_conversation(svc).conversation_id
    refused = actions.do_start_conversation(svc).conversation_id
    lead = Principal("lead", "st_lead")
    assert svc.store.groups.begin() is not None
    actions.do_post_customer_message(svc, kept, "kept")
    with pytest.raises(IllegalTransition):
        do_resolve(svc, refused, lead, "not with an agent")  # a BOT conversation cannot be resolved
    svc.store.groups.commit()
    assert stored_events(svc, kept) == 3
    assert stored_events(svc, refused) == 1
    assert svc.store.load_state(refused).status == Status.BOT


def test_a_failed_commit_stores_nothing_and_frees_the_writer(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    announced: list[object] = []
    svc.on_commit.append(announced.append)
    group = svc.store.groups.begin()
    assert group is not None
    actions.do_post_customer_message(svc, cid, "lost with the group")

    driver = group.connection.connection.driver_connection
    driver.execute("PRAGMA defer_foreign_keys=ON")
    driver.execute(ORPHAN_EVENT)
    with pytest.raises(sa.exc.IntegrityError):
        svc.store.groups.commit()
    assert announced == []
    assert stored_events(svc, cid) == 1
    actions.do_post_customer_message(svc, cid, "the writer is free again")
    assert stored_events(svc, cid) == 3


def test_a_failed_commit_outside_a_group_frees_the_writer_too(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id

    def refused_at_commit(writer) -> None:
        if writer.pending[0].event.text == "refused":
            driver = writer._connection.connection.driver_connection
            driver.execute("PRAGMA defer_foreign_keys=ON")
            driver.execute(ORPHAN_EVENT)

    svc.before_commit.append(refused_at_commit)
    with pytest.raises(sa.exc.IntegrityError):
        actions.do_post_customer_message(svc, cid, "refused")
    assert stored_events(svc, cid) == 1
    for _ in range(3):  # whichever pooled connection comes next
        actions.do_post_customer_message(svc, cid, "accepted")
    assert stored_events(svc, cid) == 7


def test_a_group_is_not_opened_while_another_thread_writes(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    inside, release = threading.Event(), threading.Event()

    def slow_write() -> None:
        with svc.store.write(cid) as writer:
            inside.set()
            release.wait(5)
            writer.append("customer", CustomerMessage(text="slow"))

    thread = threading.Thread(target=slow_write)
    thread.start()
    assert inside.wait(5)
    started = time.monotonic()
    assert svc.store.groups.begin() is None  # refused at once, not after waiting
    assert time.monotonic() - started < 0.5
    release.set()
    thread.join()
    assert svc.store.groups.begin() is not None
    svc.store.groups.commit()


def test_a_group_is_not_opened_while_another_process_writes(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    other = other_connection(svc)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    assert svc.store.groups.begin() is None
    assert time.monotonic() - started < 0.5  # the 30 s busy timeout did not apply
    other.execute("COMMIT")
    other.close()
    actions.do_post_customer_message(svc, cid, "after the other process")
    assert stored_events(svc, cid) == 3


def test_ordinary_writes_still_wait_for_another_process(svc) -> None:
    """Only groups refuse to wait: a write outside one waits for the other process's commit."""
    cid = actions.do_start_conversation(svc).conversation_id
    other = other_connection(svc)
    other.execute("BEGIN IMMEDIATE")
    assert svc.store.groups.begin() is None
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    started = time.monotonic()
    actions.do_post_customer_message(svc, cid, "waits its turn")
    assert time.monotonic() - started >= 0.25
    assert stored_events(svc, cid) == 3
    other.close()


def test_checkpoints_run_off_the_event_loops_connection(svc) -> None:
    """A checkpoint fsyncs; the group connection never runs one, a thread of the store does."""
    cid = actions.do_start_conversation(svc).conversation_id
    checkpointer = svc.store.groups.checkpointer
    checkpointer.interval = 0.05
    group = svc.store.groups.begin()
    assert group is not None
    assert group.connection.connection.driver_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    for n in range(50):
        actions.do_post_customer_message(svc, cid, f"message {n}")
    svc.store.groups.commit()
    deadline = time.monotonic() + 5
    while checkpointer.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert checkpointer.runs >= 1
    busy, log_frames, checkpointed = checkpointer.checkpoint()
    assert busy == 0 and log_frames == checkpointed  # everything written is in the database file
    assert stored_events(svc, cid) == 101


def test_a_checkpoint_waits_for_the_open_group_so_the_log_starts_afresh(svc) -> None:
    """A checkpoint racing with commits never completes, and SQLite reuses its log only after one
    that did: the checkpointer takes the write lock, so the log stays the size of one round."""
    cid = actions.do_start_conversation(svc).conversation_id
    checkpointer = svc.store.groups.checkpointer
    assert svc.store.groups.begin() is not None
    for n in range(50):
        actions.do_post_customer_message(svc, cid, f"message {n}")
    finished = threading.Event()

    def checkpoint() -> None:
        checkpointer.checkpoint()
        finished.set()

    threading.Thread(target=checkpoint).start()
    assert not finished.wait(0.2)  # it waits for the group
    svc.store.groups.commit()
    assert finished.wait(5)
    busy, big_log, checkpointed = checkpointer.checkpoint()
    assert busy == 0 and big_log == checkpointed
    actions.do_post_customer_message(svc, cid, "one more")
    busy, small_log, checkpointed = checkpointer.checkpoint()
    assert busy == 0 and small_log == checkpointed < big_log  # the log was started afresh


def test_closing_with_a_group_open_drops_it_without_hanging(sqlite_url) -> None:
    services = make_services(sqlite_url)
    cid = actions.do_start_conversation(services).conversation_id
    groups = services.store.groups
    assert groups is not None
    assert groups.begin() is not None
    actions.do_post_customer_message(services, cid, "committed")
    groups.commit()  # the checkpointer now has work for its last round at close
    assert groups.begin() is not None
    actions.do_post_customer_message(services, cid, "never committed: the loop stopped")
    closing = threading.Thread(target=services.close)
    closing.start()
    closing.join(10)
    assert not closing.is_alive()
    reopened = make_services(sqlite_url)
    try:
        assert stored_events(reopened, cid) == 3
    finally:
        reopened.close()


def test_outbox_writes_take_the_processs_writer_like_every_other_write(svc) -> None:
    """Desk deliveries are recorded by other threads: they wait for the loop's open group, and
    while one holds the writer the loop sees it taken here (and waits) rather than busy."""
    outbox = OutboxStore(svc.store.engine)
    assert svc.store.groups.begin() is not None
    recorded = threading.Event()

    def remember() -> None:
        outbox.remember_delivery("zendesk", "d-1")
        recorded.set()

    threading.Thread(target=remember).start()
    assert not recorded.wait(0.2)
    svc.store.groups.commit()
    assert recorded.wait(5)
    assert outbox.remember_delivery("zendesk", "d-1") is False  # stored once

    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_transaction(svc.store.engine):
            inside.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(5)
    assert svc.store.groups.taken_here() and svc.store.groups.begin() is None
    release.set()
    holder.join(5)
    assert not svc.store.groups.taken_here()
