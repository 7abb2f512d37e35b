"""Outbound desk calls for a conversation that did not start in a desk (the web chat): one
record per desk, created once and updated after, each request in the desk's documented shape,
and the dispatcher's retries, rate limits, OAuth refresh and per-step progress."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import staff_token, start_chat
from tests.integrations.conftest import World
from tests.integrations.fakes import INTERCOM, SALESFORCE, SERVICENOW, ZENDESK, reply


def escalate(world: World, name: str = "Ann") -> str:
    chat = start_chat(world.client, customer_name=name)
    chat.say("a person please")
    return chat.id


def work(world: World, cid: str) -> dict[str, str]:
    """Claim as a Warmline agent of every team; returns the agent's headers."""
    agent = staff_token(world.client.app.state.services, "agent", ["billing", "fraud", "triage"])  # type: ignore[attr-defined]
    assert world.client.post(f"/v1/conversations/{cid}/claim", headers=agent).status_code == 200
    return agent


def test_a_handoff_creates_one_record_per_desk_in_the_documented_shape(world: World) -> None:
    cid = escalate(world)
    world.drain()
    assert world.fake.violations == []
    assert all(i.status == "sent" for i in world.integrations.outbox.items()), world.integrations.outbox.items()
    zendesk = [r for r in world.fake.requests if r.url.host == ZENDESK]
    assert [(r.method, r.url.path) for r in zendesk] == [("POST", "/api/v2/tickets.json")]
    assert zendesk[0].headers["idempotency-key"].startswith(f"warmline-{cid}-")
    ticket = json.loads(zendesk[0].content)["ticket"]
    assert ticket["external_id"] == cid and ticket["group_id"] == 360001 and ticket["comment"]["public"] is False
    assert "SUMMARY" in ticket["comment"]["body"] and "DRAFT REPLY" in ticket["comment"]["body"]
    salesforce = world.fake.sent(SALESFORCE)
    assert [(m, p) for m, p, _ in salesforce] == [
        ("PATCH", f"/services/data/v60.0/sobjects/Case/Warmline_Conversation_Id__c/{cid}"),
        ("POST", "/services/data/v60.0/sobjects/CaseComment"),
        ("POST", "/services/data/v60.0/sobjects/PendingServiceRouting"),
        ("PATCH", "/services/data/v60.0/sobjects/PendingServiceRouting/0JRD0000000000"),
    ]
    case = world.fake.cases[cid]
    assert salesforce[1][2]["ParentId"] == case["Id"] and salesforce[1][2]["IsPublished"] is False
    panel = json.loads(case["Warmline_Payload__c"])
    assert panel["summary"] == "Customer asks for a person." and panel["draft"].startswith("Hi, I can help")
    assert world.fake.routings["0JRD0000000000"]["RoutingType"] == "SkillsBased"
    assert world.fake.routings["0JRD0000000000"]["IsReadyForRouting"] is True
    servicenow = world.fake.sent(SERVICENOW)
    assert [(m, p.split("?")[0]) for m, p, _ in servicenow] == [
        ("GET", "/api/now/table/sn_customerservice_case"),  # looked up by correlation_id first
        ("POST", "/api/now/table/sn_customerservice_case"),
    ]
    assert servicenow[1][2]["correlation_id"] == cid and json.loads(servicenow[1][2]["u_warmline_payload"])
    # Intercom only hears about conversations that live in Intercom.
    assert world.fake.sent(INTERCOM) == []


def test_transfer_handback_and_close_update_the_records_the_handoff_made(world: World) -> None:
    chat = start_chat(world.client, customer_name="Ann")
    chat.say("a person please")
    cid = chat.id
    world.drain()
    agent = work(world, cid)
    moved = world.client.post(
        f"/v1/conversations/{cid}/transfer", json={"team": "fraud", "reason": "card misuse"}, headers=agent
    )
    assert moved.status_code == 200, moved.text
    world.drain()
    assert world.client.post(f"/v1/conversations/{cid}/claim", headers=agent).status_code == 200
    back = world.client.post(f"/v1/conversations/{cid}/handback", json={"note": "refund done"}, headers=agent)
    assert back.status_code == 200, back.text
    world.drain()
    chat.say("a person please, again")  # a second escalation of the same conversation
    world.drain()
    assert world.client.post(f"/v1/conversations/{cid}/claim", headers=agent).status_code == 200
    assert world.client.post(f"/v1/conversations/{cid}/resolve", headers=agent).status_code == 200
    world.drain()
    assert world.fake.violations == []
    assert all(i.status == "sent" for i in world.integrations.outbox.items()), world.integrations.outbox.items()
    # Zendesk: one ticket, then updates of that ticket only.
    assert len(world.fake.tickets) == 1
    ticket_id = next(iter(world.fake.tickets))
    zendesk = world.fake.sent(ZENDESK)
    assert [m for m, _, _ in zendesk].count("POST") == 1
    assert {p for m, p, _ in zendesk if m == "PUT"} == {f"/api/v2/tickets/{ticket_id}.json"}
    puts = [b["ticket"] for m, _, b in zendesk if m == "PUT"]
    assert puts[0]["group_id"] == 360002 and "transfer" in puts[0]["comment"]["body"]  # moved to fraud
    assert puts[2]["status"] == "open" and puts[2]["group_id"] == 360001  # escalated again: reopened
    assert "warmline_handed_back" in world.fake.tickets[ticket_id]["tags"]
    assert world.fake.tickets[ticket_id]["status"] == "solved"
    # Salesforce: one case; later calls only update it; every comment is linked by Id and capped.
    assert len(world.fake.cases) == 1
    salesforce = world.fake.sent(SALESFORCE)
    case_writes = [(p, b) for m, p, b in salesforce if m == "PATCH" and "/Case/" in p]
    upserts = [b for p, b in case_writes if not p.endswith("?updateOnly=true")]
    assert len(upserts) == 2 and all("Subject" in b for b in upserts)  # the two escalations
    assert len(case_writes) == 5  # + transfer, handback, close: updates that never create
    for _, _, body in salesforce:
        if body and "CommentBody" in body:
            assert not str(body.get("ParentId", "")).startswith("@{") and len(body["CommentBody"].encode()) <= 4000
    # ServiceNow: one case; every PATCH names its sys_id.
    assert len(world.fake.sn_cases) == 1
    sys_id = next(iter(world.fake.sn_cases))
    patches = [p for m, p, _ in world.fake.sent(SERVICENOW) if m == "PATCH"]
    assert patches and all(p == f"/api/now/table/sn_customerservice_case/{sys_id}" for p in patches)
    sn_bodies = [b for m, _, b in world.fake.sent(SERVICENOW) if m == "PATCH"]
    assert sn_bodies[0]["u_warmline_team"] == "fraud" and "transfer" in sn_bodies[0]["work_notes"]
    assert world.fake.sn_cases[sys_id]["state"] == "6"  # resolved


def test_servicenow_updates_a_case_that_already_exists_instead_of_creating_one(world: World) -> None:
    chat = start_chat(world.client, customer_name="Ann")
    world.fake.sn_cases["0000existing0000"] = {"correlation_id": chat.id, "number": "CS0009999"}
    chat.say("a person please")
    world.drain()
    assert len(world.fake.sn_cases) == 1
    methods = [(m, p.split("?")[0]) for m, p, _ in world.fake.sent(SERVICENOW)]
    assert methods == [
        ("GET", "/api/now/table/sn_customerservice_case"),
        ("PATCH", "/api/now/table/sn_customerservice_case/0000existing0000"),
    ]


def test_a_long_payload_note_is_cut_to_4000_bytes_for_a_case_comment(world: World) -> None:
    desk = world.integrations.desks["salesforce"]
    from warmline.integrations.base import Outbound

    body = {"conversation_id": "cv_1", "team": "billing", "priority": 2, "payload": {"summary": "é" * 5000}}
    plan = desk.plan(Outbound("handoff", body, {"case_id": "500x"}, key="k"))
    comment = next(r for r in plan if r.step == "comment")
    assert comment.json is not None
    assert len(comment.json["CommentBody"].encode()) <= 4000 and comment.json["ParentId"] == "500x"


def test_a_retry_never_repeats_a_step_that_went_through(world: World) -> None:
    cid = escalate(world)
    calls = {"comment": 0}
    original = world.fake.handler

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/CaseComment"):
            calls["comment"] += 1
            if calls["comment"] == 1:
                world.fake.requests.append(request)
                return reply(503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "try again"}])
        return original(request)

    world.integrations.dispatcher.client = httpx.Client(transport=httpx.MockTransport(flaky))
    clock = {"now": datetime.now(UTC)}
    world.integrations.dispatcher.clock = lambda: clock["now"]
    world.integrations.outbox.clock = lambda: clock["now"]
    world.integrations.dispatcher.run_once()
    item = next(i for i in world.integrations.outbox.items(desk="salesforce"))
    assert item.status == "pending" and item.done == ("upsert_case",) and item.attempts == 1
    clock["now"] += timedelta(hours=1)
    world.drain()
    upserts = [
        p for m, p, _ in world.fake.sent(SALESFORCE) if m == "PATCH" and f"/Case/Warmline_Conversation_Id__c/{cid}" in p
    ]
    assert len(upserts) == 1  # the retry started at the comment
    assert calls["comment"] == 2 and len(world.fake.comments) == 1


@pytest.mark.parametrize(
    ("host", "answer", "outcome", "wait_s"),
    [
        (SERVICENOW, reply(401, {"error": {"message": "User Not Authenticated"}, "status": "failure"}), "dead", 0),
        (ZENDESK, reply(404, {"error": "InvalidEndpoint", "description": "Not found"}), "dead", 0),
        (SERVICENOW, reply(409, {"error": {"message": "Conflict"}, "status": "failure"}), "retry", 0),
        (ZENDESK, reply(429, {"error": "APIRateLimitExceeded"}, **{"Retry-After": "30"}), "rate", 29),
        (
            INTERCOM,
            reply(
                429, {"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]}, **{"X-RateLimit-Reset": "+90"}
            ),
            "rate",
            80,  # the reset time is set a moment before the call; slow machines take seconds
        ),
        (
            SALESFORCE,
            reply(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]),
            "rate",
            59,
        ),
        (SERVICENOW, reply(503, {"error": {"message": "Service unavailable"}}), "retry", 0),
        (SERVICENOW, None, "retry", 0),
    ],
    ids=["401", "404", "409", "zendesk-429-retry-after", "intercom-429-reset", "salesforce-limit", "5xx", "timeout"],
)
def test_desk_errors(world: World, host: str, answer: httpx.Response | None, outcome: str, wait_s: int) -> None:
    if host == INTERCOM:
        from tests.integrations.test_messaging import intercom_conversation

        intercom_conversation(world)
        world.drain()  # the bot's first answer
    if answer is not None and "X-RateLimit-Reset" in answer.headers:  # 90 s from now
        answer.headers["X-RateLimit-Reset"] = str(int(datetime.now(UTC).timestamp()) + 90)
    world.fake.fail(host, answer if answer is not None else httpx.ReadTimeout("desk too slow"))
    if host != INTERCOM:
        escalate(world)
    else:
        from tests.integrations.test_messaging import intercom_says

        intercom_says(world, "a person please")
    before = datetime.now(UTC)
    world.integrations.dispatcher.run_once()
    desk = {SERVICENOW: "servicenow", ZENDESK: "zendesk", INTERCOM: "intercom", SALESFORCE: "salesforce"}[host]
    item = [i for i in world.integrations.outbox.items(desk=desk) if i.status != "sent"][0]
    if outcome == "dead":
        assert item.status == "dead" and str(answer.status_code) in (item.last_error or "")  # type: ignore[union-attr]
    elif outcome == "rate":
        assert item.status == "pending" and item.attempts == 0  # waiting out a limit is not a failure
        assert item.next_attempt_at >= before + timedelta(seconds=wait_s)
    else:
        assert item.status == "pending" and item.attempts == 1 and item.next_attempt_at > before


def test_an_expired_salesforce_token_is_refreshed_once_and_the_call_goes_through(world: World) -> None:
    world.fake.salesforce_token = "sf-token-2"  # the configured token has expired
    cid = escalate(world)
    world.drain()
    token_calls = [r for r in world.fake.requests if r.url.path == "/services/oauth2/token"]
    assert len(token_calls) == 1
    assert cid in world.fake.cases
    assert all(i.status == "sent" for i in world.integrations.outbox.items(desk="salesforce"))


def test_without_a_refresh_token_an_expired_salesforce_token_dead_letters(world: World) -> None:
    from tests.integrations.conftest import desks

    salesforce = desks(salesforce={"refresh_token": ""})["salesforce"]
    world.integrations.dispatcher.desks["salesforce"] = salesforce
    world.fake.salesforce_token = "sf-token-2"
    escalate(world)
    world.drain()
    item = next(iter(world.integrations.outbox.items(desk="salesforce")))
    assert item.status == "dead" and "INVALID_SESSION_ID" in (item.last_error or "")


def test_a_handback_never_creates_an_empty_case_when_the_handoff_failed(world: World) -> None:
    world.fake.fail(SALESFORCE, reply(400, [{"errorCode": "INVALID_FIELD", "message": "No such column"}]))
    cid = escalate(world)
    world.drain()
    agent = work(world, cid)
    world.client.post(f"/v1/conversations/{cid}/handback", json={"note": "done"}, headers=agent)
    world.integrations.outbox.retry_dead(desk="nobody")  # leave the dead handoff dead
    items = world.integrations.outbox.items(desk="salesforce")
    # the handback waits behind the dead handoff (in order per conversation) ...
    world.drain()
    items = world.integrations.outbox.items(desk="salesforce")
    assert [i.status for i in items] == ["dead", "pending"]
    # ... and even sent on its own, updateOnly makes the desk refuse instead of creating a case
    from warmline.integrations.base import Outbound

    handback = world.integrations.desks["salesforce"].plan(Outbound("handback", items[1].body, {}, key="k"))
    assert handback[0].path.endswith("?updateOnly=true")
    assert world.fake.cases == {}


def test_a_desk_outage_during_a_burst_delivers_every_handoff_once_and_in_order(world: World) -> None:
    world.fake.fail(SALESFORCE, *[reply(503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}])] * 15)
    clock = {"now": datetime.now(UTC)}
    world.integrations.dispatcher.clock = lambda: clock["now"]
    world.integrations.outbox.clock = lambda: clock["now"]
    agent = staff_token(world.client.app.state.services, "agent", ["billing"])  # type: ignore[attr-defined]
    conversations = []
    for n in range(6):
        cid = escalate(world)
        conversations.append(cid)
        world.integrations.dispatcher.run_once()  # the desk is down while the burst arrives
        if n % 2 == 0:  # half of them are also handed back: a second call that must come after
            world.client.post(f"/v1/conversations/{cid}/claim", headers=agent)
            world.client.post(f"/v1/conversations/{cid}/handback", json={"note": "done"}, headers=agent)
    for _ in range(60):
        world.integrations.dispatcher.run_once()
        clock["now"] += timedelta(minutes=10)  # let every backoff expire
    assert all(i.status == "sent" for i in world.integrations.outbox.items(desk="salesforce"))
    assert len(world.fake.cases) == len(conversations)
    for n, cid in enumerate(conversations):
        assert world.fake.cases[cid]["Status"] == ("Handed Back" if n % 2 == 0 else "New"), cid
    handoff_notes = [c for c in world.fake.comments if "Warmline handoff" in c["CommentBody"]]
    assert len(handoff_notes) == len(conversations)  # no duplicate notes after all the retries


def test_dispatcher_dead_letters_a_desk_that_is_not_configured(world: World) -> None:
    from warmline.integrations.outbound import Dispatcher

    escalate(world)
    lonely = Dispatcher(world.integrations.outbox, {}, httpx.Client(transport=httpx.MockTransport(world.fake.handler)))
    assert lonely.run_once().dead == 3  # zendesk, salesforce, servicenow (intercom: not its conversation)
    assert world.integrations.outbox.retry_dead(desk="zendesk") == 1


def test_check_proves_credentials_with_an_authenticated_call() -> None:
    from warmline.integrations.salesforce import Salesforce

    assert Salesforce.probe != "/services/data/" and re.search(r"/v\d+\.\d+/", Salesforce.probe)
