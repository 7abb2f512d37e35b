"""Agent-side actions: claim, release, transfer, reply, note, resolve, hand back, presence.

Like the customer-side actions they change a conversation only through
``warmline.conversation.actions.apply_change`` (validate, append under the conversation's lock,
commit, wake the streams). Claiming is atomic: of many agents claiming at once, the first to
take the lock wins and every other one finds the conversation WITH_AGENT and gets 409.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz.distance import Levenshtein

from warmline.auth import Principal
from warmline.conversation import views
from warmline.conversation.actions import Outcome, Services, apply_change, check_text
from warmline.conversation.events import (
    BOT,
    AgentMessage,
    BotMessage,
    Claimed,
    Closed,
    HandedBack,
    NoteAdded,
    Released,
    Transferred,
)
from warmline.conversation.state import Status
from warmline.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from warmline.storage.sql.store import IdempotencyClaim, Writer

TEAM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
PRESENCES = ("online", "away", "offline")


def check_agent(caller: Principal) -> None:
    caller.require("agent", "lead")


def check_holder(writer: Writer, caller: Principal) -> None:
    """Only the agent holding a conversation works on it (a lead may step in)."""
    if writer.state.status != Status.WITH_AGENT:
        raise IllegalTransition(
            f"the conversation is {writer.state.status.value}, not with an agent",
            details={"status": writer.state.status.value},
        )
    if caller.role != "lead" and writer.state.agent_id != caller.id:
        raise Forbidden("another agent holds this conversation", code="not_assigned")


def check_may_work(writer: Writer, caller: Principal) -> None:
    """Notes and closing by staff: the agent holding the conversation, an agent of the team whose
    queue it waits in, or a lead or admin."""
    if caller.role in ("lead", "admin"):
        return
    state = writer.state
    if state.status == Status.WITH_AGENT and state.agent_id == caller.id:
        return
    if state.status == Status.WAITING_FOR_AGENT and state.team in caller.teams:
        return
    if state.status == Status.WITH_AGENT:
        raise Forbidden("another agent holds this conversation", code="not_assigned")
    raise Forbidden("this conversation is not in your team's queue", code="not_your_team")


def check_team(svc: Services, team: str) -> str:
    known = svc.teams()
    if not TEAM_NAME.match(team) or (known and team not in known):
        raise InvalidInput(f"unknown team {team!r}", code="unknown_team", details={"teams": sorted(known)})
    return team


def check_note(note: str, svc: Services, field: str = "note") -> str:
    note = check_text(note, svc.settings, field=field)
    if len(note) > 2000:
        raise InvalidInput(f"{field} must be at most 2000 characters", code="note_too_long")
    return note


def do_claim(svc: Services, conversation_id: str, caller: Principal, idem: IdempotencyClaim | None = None) -> Outcome:
    check_agent(caller)
    staff = svc.store.get_staff(caller.id)
    capacity = int(staff["capacity"]) if staff else 1

    def claim(writer: Writer) -> None:
        if writer.state.status == Status.WITH_AGENT:
            raise IllegalTransition("another agent already claimed this conversation", code="already_claimed")
        if writer.state.status != Status.WAITING_FOR_AGENT:
            raise IllegalTransition(
                f"only a waiting conversation can be claimed; this one is {writer.state.status.value}",
                details={"status": writer.state.status.value},
            )
        if caller.role == "agent" and writer.state.team not in caller.teams:
            raise Forbidden(f"this conversation waits in the {writer.state.team} queue", code="not_your_team")
        if writer.held_by(caller.id, lock=True) >= capacity:
            raise Conflict(f"you already hold {capacity} conversations", code="at_capacity")
        writer.append(caller.actor, Claimed(agent_id=caller.id))

    return apply_change(svc, conversation_id, idem, claim)


def do_claim_next(svc: Services, team: str, caller: Principal) -> Outcome | None:
    """Claim the most urgent conversation waiting in ``team``; None when the queue is empty."""
    check_agent(caller)
    if caller.role == "agent" and team not in caller.teams:
        raise Forbidden(f"you do not work in the {team} queue", code="not_your_team")
    for state in svc.store.queue(team, limit=20):
        try:
            return do_claim(svc, state.id, caller)
        except IllegalTransition:
            continue  # someone else was faster: try the next one
    return None


def do_hand_off_now(
    svc: Services, conversation_id: str, reason: str, idem: IdempotencyClaim | None = None
) -> Outcome | None:
    """Hand the conversation to a team now, whatever the policy would say (the evaluations' forced
    handoff): routed, with a payload, as the bot hands off. None if the bot no longer has it."""
    if svc.store.load_state(conversation_id).status != Status.BOT:
        return None

    def hand_off(writer: Writer) -> None:
        if writer.state.status == Status.BOT:  # checked again under the lock
            svc.bot.hand_off_now(writer, reason)

    return apply_change(svc, conversation_id, idem, hand_off)


def do_release(
    svc: Services, conversation_id: str, caller: Principal, reason: str, idem: IdempotencyClaim | None = None
) -> Outcome:
    """Put the conversation back at the front of its queue."""

    def release(writer: Writer) -> None:
        check_holder(writer, caller)
        writer.append(caller.actor, Released(agent_id=writer.state.agent_id or caller.id, reason=reason))

    return apply_change(svc, conversation_id, idem, release)


def do_transfer(
    svc: Services,
    conversation_id: str,
    caller: Principal,
    to_team: str,
    reason: str,
    idem: IdempotencyClaim | None = None,
) -> Outcome:
    """Move the conversation to another team's queue; its payload is rebuilt for that team, and
    the transfer counts against routing accuracy."""
    check_agent(caller)
    check_team(svc, to_team)
    reason = check_note(reason, svc, field="reason")

    def transfer(writer: Writer) -> None:
        if writer.state.status == Status.WITH_AGENT:
            check_holder(writer, caller)
        elif caller.role != "lead" and writer.state.team not in caller.teams:
            raise Forbidden("only a lead or the team's agents can move a waiting conversation", code="not_your_team")
        if to_team == writer.state.team:
            raise InvalidInput(f"the conversation is already with {to_team}", code="same_team")
        writer.append(
            caller.actor,
            Transferred(
                from_team=writer.state.team or "triage", to_team=to_team, reason=reason, agent_id=writer.state.agent_id
            ),
        )
        for actor, body in svc.bot.after_transfer(writer, to_team, reason):
            writer.append(actor, body)

    return apply_change(svc, conversation_id, idem, transfer)


def do_agent_message(
    svc: Services,
    conversation_id: str,
    caller: Principal,
    text: str,
    draft_id: str | None = None,
    idem: IdempotencyClaim | None = None,
) -> Outcome:
    """The agent writes to the customer; sending (an edit of) the payload's draft records draft
    usage with the normalised edit distance between the draft and what was sent."""
    text = check_text(text, svc.settings)

    def send(writer: Writer) -> None:
        check_holder(writer, caller)
        distance = None
        if draft_id is not None:
            draft = views.find_draft(writer.history(), draft_id)
            if draft is None:
                raise InvalidInput(f"no draft {draft_id!r} was shown for this conversation", code="unknown_draft")
            distance = round(Levenshtein.normalized_distance(draft, text), 4)
        agent_id = writer.state.agent_id or caller.id
        writer.append(
            caller.actor, AgentMessage(agent_id=agent_id, text=text, draft_id=draft_id, draft_distance=distance)
        )

    return apply_change(svc, conversation_id, idem, send)


def do_add_note(
    svc: Services, conversation_id: str, caller: Principal, text: str, idem: IdempotencyClaim | None = None
) -> Outcome:
    """An internal note: agents and the bot see it, the customer never does."""
    check_agent(caller)
    text = check_note(text, svc)

    def note(writer: Writer) -> None:
        check_may_work(writer, caller)
        writer.append(caller.actor, NoteAdded(author=caller.id, text=text))

    return apply_change(svc, conversation_id, idem, note)


def do_staff_close(
    svc: Services, conversation_id: str, caller: Principal, reason: str, idem: IdempotencyClaim | None = None
) -> Outcome:
    """Staff end a conversation without the customer: the holder, the waiting team's agents, or a
    lead or admin (a customer closes their own chat with ``do_close``)."""

    def close(writer: Writer) -> None:
        check_may_work(writer, caller)
        writer.append(caller.actor, Closed(reason=reason, agent_id=writer.state.agent_id))

    return apply_change(svc, conversation_id, idem, close)


def do_resolve(
    svc: Services,
    conversation_id: str,
    caller: Principal,
    reason: str = "resolved",
    idem: IdempotencyClaim | None = None,
) -> Outcome:
    def resolve(writer: Writer) -> None:
        check_holder(writer, caller)
        writer.append(caller.actor, Closed(reason=reason, agent_id=writer.state.agent_id))

    return apply_change(svc, conversation_id, idem, resolve)


def do_hand_back(
    svc: Services, conversation_id: str, caller: Principal, note: str, idem: IdempotencyClaim | None = None
) -> Outcome:
    """Return the conversation to the bot with a note. The note and every agent turn stay in the
    shared memory, so the bot resumes knowing what the agent did."""
    note = check_note(note, svc)

    def hand_back(writer: Writer) -> None:
        check_holder(writer, caller)
        writer.append(caller.actor, HandedBack(agent_id=writer.state.agent_id or caller.id, note=note))
        if writer.state.source is not None:
            return  # an outside bot resumes, told by its conversation.handed_back webhook
        writer.append(BOT, BotMessage(text=svc.bot.resume_text(writer), kind="resume"))

    return apply_change(svc, conversation_id, idem, hand_back)


def do_set_presence(svc: Services, caller: Principal, presence: str) -> dict[str, Any]:
    check_agent(caller)
    if presence not in PRESENCES:
        raise InvalidInput(f"presence must be one of {', '.join(PRESENCES)}", code="invalid_presence")
    svc.store.set_presence(caller.id, presence)
    return {"id": caller.id, "presence": presence}
