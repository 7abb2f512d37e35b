"""One contract for the event store, run on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, insert

from tests.conftest import make_services
from warmline.conversation import actions
from warmline.conversation.events import (
    BOT,
    CUSTOMER,
    BotMessage,
    Claimed,
    CustomerMessage,
    Escalated,
    EventRecord,
    HandedBack,
    NoteAdded,
)
from warmline.conversation.state import Status, fold
from warmline.errors import ConversationNotFound, IdempotencyKeyReused, IllegalTransition
from warmline.storage.protocols import Directory, EventLog, QueueView, Store
from warmline.storage.sql.driver import DriverStatement
from warmline.storage.sql.schema import events, metadata
from warmline.storage.sql.store import IdempotencyClaim, SqlStore


@pytest.fixture
def svc(database_url):
    services = make_services(database_url)
    yield services
    services.close()


def test_the_sql_store_is_the_event_log_directory_and_queue_view(svc) -> None:
    store: Store = svc.store  # checked by mypy against the protocols' signatures
    assert isinstance(store, SqlStore)
    assert all(isinstance(store, part) for part in (EventLog, Directory, QueueView))


def test_migrations_match_the_table_definitions(svc) -> None:
    with svc.store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_appends_number_events_from_one_and_state_is_their_fold(svc) -> None:
    started = actions.do_start_conversation(svc, customer_name="Zoë")
    cid = started.conversation_id
    actions.do_post_customer_message(svc, cid, "first")
    actions.do_post_customer_message(svc, cid, "second")
    records = svc.store.load_events(cid)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert [r.type for r in records] == [
        "conversation_started",
        "customer_message",
        "bot_message",
        "customer_message",
        "bot_message",
    ]
    assert svc.store.load_state(cid) == fold(records)
    assert svc.store.load_state(cid).customer_messages == 2


def test_records_round_trip_losslessly_through_json(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    text = "Ünïcödé 👩🏽‍💻 שלום עולם 中文 \n\ttabs"
    actions.do_post_customer_message(svc, cid, text)
    records = svc.store.load_events(cid)
    assert records[1].event == CustomerMessage(text=text)
    for record in records:
        assert EventRecord.from_dict(record.to_dict()) == record


def test_an_illegal_transition_is_refused_and_changes_nothing(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    before = svc.store.load_events(cid)
    with pytest.raises(IllegalTransition):
        with svc.store.write(cid) as writer:
            writer.append(CUSTOMER, CustomerMessage(text="this one is rolled back"))
            writer.append("agent:ag_1", Claimed(agent_id="ag_1"))  # BOT cannot be claimed
    assert svc.store.load_events(cid) == before
    assert svc.store.load_state(cid).last_seq == 1


def test_the_lifecycle_round_trip_bot_agent_bot(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    with svc.store.write(cid) as writer:
        writer.append(CUSTOMER, CustomerMessage(text="I want a person"))
        writer.append(BOT, Escalated(team="billing", trigger="human_request", reason="asked"))
    assert svc.store.load_state(cid).status == Status.WAITING_FOR_AGENT
    with pytest.raises(IllegalTransition):
        with svc.store.write(cid) as writer:
            writer.append(BOT, BotMessage(text="double reply"))
    with svc.store.write(cid) as writer:
        writer.append("agent:ag_1", Claimed(agent_id="ag_1"))
        writer.append("agent:ag_1", NoteAdded(author="ag_1", text="refund done"))
        writer.append("agent:ag_1", HandedBack(agent_id="ag_1", note="refund done"))
    state = svc.store.load_state(cid)
    assert (state.status, state.agent_id, state.handbacks) == (Status.BOT, None, 1)
    assert state == fold(svc.store.load_events(cid))


def test_unknown_conversation(svc) -> None:
    with pytest.raises(ConversationNotFound):
        svc.store.load_state("cv_missing")
    with pytest.raises(ConversationNotFound):
        actions.do_post_customer_message(svc, "cv_missing", "hello")


def test_concurrent_writers_never_duplicate_or_skip_a_sequence_number(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    writers, each = 12, 10
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        barrier.wait()
        for i in range(each):
            actions.do_post_customer_message(svc, cid, f"writer {n} message {i}")

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    records = svc.store.load_events(cid)
    assert [r.seq for r in records] == list(range(1, 2 + 2 * writers * each))
    texts = [r.event.text for r in records if r.type == "customer_message"]
    assert len(texts) == len(set(texts)) == writers * each
    # Every bot reply directly follows the message it answers.
    for record in records:
        if record.type == "bot_message":
            assert record.event.in_reply_to == record.seq - 1
    assert svc.store.load_state(cid) == fold(records)


def test_idempotent_writes_return_the_first_result_and_append_nothing(svc) -> None:
    claim = IdempotencyClaim(scope="s", key="k1", fingerprint="f1")
    first = actions.do_start_conversation(svc, idempotency=claim)
    again = actions.do_start_conversation(svc, idempotency=claim)
    assert again.replayed and again.conversation_id == first.conversation_id
    assert again.customer_token == first.customer_token
    cid = first.conversation_id
    post = IdempotencyClaim(scope="s", key="k2", fingerprint="f2")
    one = actions.do_post_customer_message(svc, cid, "hello", post)
    two = actions.do_post_customer_message(svc, cid, "hello", post)
    assert one.events == two.events and two.replayed and not one.replayed
    assert svc.store.load_state(cid).last_seq == 3
    with pytest.raises(IdempotencyKeyReused):
        actions.do_post_customer_message(svc, cid, "different", IdempotencyClaim("s", "k2", "other"))
    assert svc.store.load_state(cid).last_seq == 3


def test_racing_retries_of_one_request_append_once(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    claim = IdempotencyClaim(scope="s", key="race", fingerprint="f")
    barrier = threading.Barrier(8)

    def post(_: int) -> list[int]:
        barrier.wait()
        return [r.seq for r in actions.do_post_customer_message(svc, cid, "once", claim).events]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(8)))
    assert all(r == results[0] for r in results)
    assert svc.store.load_state(cid).customer_messages == 1


def test_the_inbox_feed_holds_queue_events_in_order(svc) -> None:
    cid = actions.do_start_conversation(svc).conversation_id
    actions.do_post_customer_message(svc, cid, "bot-only turns stay out of the feed")
    with svc.store.write(cid) as writer:
        writer.append(BOT, Escalated(team="billing", trigger="human_request", reason="asked"))
    actions.do_post_customer_message(svc, cid, "while waiting")
    with svc.store.write(cid) as writer:
        writer.append("agent:ag_9", Claimed(agent_id="ag_9"))
    entries = svc.store.read_feed(0, None, None)
    assert [e.type for e in entries] == ["escalated", "customer_message", "claimed"]
    assert [e.position for e in entries] == sorted(e.position for e in entries)
    assert svc.store.read_feed(0, ["orders"], "ag_x") == []
    assert [e.type for e in svc.store.read_feed(entries[0].position, ["billing"], None)] == [
        "customer_message",
        "claimed",
    ]


def test_accounts_and_staff(svc) -> None:
    svc.store.upsert_accounts([{"id": "acc_1", "name": "Ana", "member_level": "gold"}])
    svc.store.upsert_accounts([{"id": "acc_1", "name": "Ana B", "member_level": "guest"}])
    assert svc.store.get_account("acc_1") == {"id": "acc_1", "name": "Ana B", "member_level": "guest"}
    assert svc.store.get_account("nope") is None


def test_driver_statements_send_what_sqlalchemy_would(svc) -> None:
    """The hot path's precompiled statements bind values exactly as SQLAlchemy itself does
    (SQLite stores datetimes as text in SQLAlchemy's own format, for one)."""
    engine = svc.store.engine
    values = {
        "conversation_id": actions.do_start_conversation(svc).conversation_id,
        "seq": 99,
        "type": "note_added",
        "version": 1,
        "actor": "customer",
        "created_at": datetime(2026, 11, 30, 20, 1, 2, 345678, tzinfo=UTC),
        "body": '{"text": "ünïcode"}',
    }
    sent: list[object] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO events"):
            sent.append(parameters)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(insert(events), values)
            connection.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    driver = DriverStatement(insert(events), engine.dialect, list(values))
    assert driver.parameters(values) == sent[0]
