"""The handoff and the queue: hand off now, claim, claim the next, release, transfer, resolve,
hand back.

Like the conversation's own actions they change a conversation only through
``warmline.conversation.actions.apply_change`` (validate, append under the conversation's lock,
commit, wake the streams). Claiming is atomic: of many agents claiming at once, the first to
take the lock wins and every other one finds the conversation WITH_AGENT and gets 409.
"""

from __future__ import annotations

from warmline.access import check_agent, check_holder
from warmline.auth import Principal
from warmline.conversation.actions import Outcome, Services, apply_change, check_note, check_team
from warmline.conversation.events import (
    BOT,
    BotMessage,
    Claimed,
    Closed,
    HandedBack,
    Released,
    Transferred,
)
from warmline.conversation.state import Status
from warmline.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from warmline.storage.sql.store import IdempotencyClaim, Writer


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
