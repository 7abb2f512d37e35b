"""Who may read and who may change what. The rules, in one place (documented in the README's
access-control section). Reading:

- a customer: their own conversation, and only its chat turns (see ``api.schemas.present_event``);
- an agent: the queues of their teams, and conversations that are in one of their teams or that
  they hold or once held (a conversation transferred away stays readable to who worked on it);
- leads and admins: everything;
- an outside bot: its conversations, through the ingestion API only.

Changing (checked by the actions, under the conversation's lock): the agent holding a
conversation works on it; an agent of the team it waits for may claim, note or close it; a lead
steps in anywhere; an admin may close any.
"""

from __future__ import annotations

from warmline.auth import Principal
from warmline.conversation.state import ConversationState, Status
from warmline.errors import Forbidden, IllegalTransition
from warmline.storage.protocols import EventLog
from warmline.storage.sql.store import Writer


def check_may_read(store: EventLog, caller: Principal, state: ConversationState) -> None:
    """Raises 403 unless ``caller`` may read the conversation. May read its log (``ever_held``):
    call it off the event loop."""
    caller.may_read(state.id)  # customers and bots
    if caller.role != "agent":
        return
    if state.team in caller.teams or state.agent_id == caller.id or store.ever_held(state.id, caller.id):
        return
    raise Forbidden("this conversation is not in your teams' queues and you have not held it", code="not_your_team")


def check_may_read_queue(caller: Principal, team: str) -> None:
    if caller.role == "agent" and team not in caller.teams:
        raise Forbidden(f"you do not work in the {team} queue", code="not_your_team")


def visible_to(caller: Principal) -> tuple[tuple[str, ...], str] | None:
    """The store's ``visible_to`` filter for listing conversations; None: everything."""
    return (caller.teams, caller.id) if caller.role == "agent" else None


def readable_state(store: EventLog, caller: Principal, conversation_id: str) -> ConversationState:
    """The conversation's state if ``caller`` may read it (404 when unknown, 403 when not theirs)."""
    caller.may_read(conversation_id)  # a customer learns nothing about other conversations
    state = store.load_state(conversation_id)
    check_may_read(store, caller, state)
    return state


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
