"""The recommended next action: the first step of the matched ABCD procedure not done yet.

The bot never presses an agent's buttons, so "done" is judged from the conversation itself:
- a step that needs customer details (``pull-up-account`` needs a name or account id, ...) counts
  as done when those details were already known *before* the customer's latest turn (an agent
  could have acted on them); details that arrived in the latest turn make that step the next one;
- FAQ searches stay with the agent (the bot's own knowledge-base answer did not resolve it);
  ``membership`` counts as done when the customer stated their level before the latest turn,
  ``record-reason`` when the request was understood before the latest turn; customer instructions (``try-again``,
  ``log-out-in``, ``instructions``) when the bot or an agent already gave them;
- any step counts as done when an agent turn or handback note says so (its button label, or the
  action's words, e.g. "notified the team");
- the identity and purchase checks count as done when the bot made them in the store's systems
  (it verified the customer against a record, it found the order there).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from warmline.model.analysis import Fact
from warmline.model.replies import NEEDS
from warmline.packs import Pack, ProcedureStep

# Words in an agent's/bot's text that show a step was done (regexes, case-insensitive).
DONE_WORDS: dict[str, str] = {
    "pull-up-account": r"pulled up (your|the) account|account (is|has been) pulled up",
    "verify-identity": r"verified (your|the) identity|identity (is|has been) verified",
    "validate-purchase": r"validated (your|the) (purchase|order)|purchase (is|has been) validated",
    "record-reason": r"(noted|recorded) (the|your) reason",
    "notify-team": r"notified (the|our) team|let (the|our) team know",
    "send-link": r"sent (you )?(a|the) link|link (is|has been) sent",
    "update-order": r"updated (your|the) order|order (is|has been) updated",
    "update-account": r"updated (your|the) account|account (is|has been) updated",
    "offer-refund": r"refund (is|has been) (issued|processed)|issued (a|the|your) refund",
    "make-password": r"(new|temporary) password (is|has been)",
    "promo-code": r"(new|gave you a) promo code",
    "make-purchase": r"placed (a|the|your) (new )?order",
    "try-again": r"try again|refresh",
    "log-out-in": r"log(ging)? out and (back )?in",
    "instructions": r"clear (your )?(cache|cookies)|instructions",
    "enter-details": r"entered (your|the) details",
}
CUSTOMER_INSTRUCTIONS = {"try-again", "log-out-in", "instructions"}
# Steps the bot does itself in the store's systems: matching the customer to a record (name plus
# email, order id or ZIP) pulls up and verifies the account; finding the order validates the purchase.
GUIDELINE_CHARS = 200
IDENTITY_STEPS = {"pull-up-account", "verify-identity"}
ORDER_STEP = "validate-purchase"


class NextAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str  # what to do, for the agent (the step's button and what it needs)
    reasoning: str
    procedure: str | None = None  # "flow/subflow" of the matched procedure
    step: str | None = None  # ABCD action id, e.g. "validate-purchase"
    step_index: int | None = None  # 1-based position in the procedure
    steps_done: list[str] = []


def recommend(
    pack: Pack,
    *,
    flow: str | None,
    subflow: str | None,
    facts_before: Sequence[Fact],
    facts_now: Sequence[Fact],
    bot_texts: Sequence[str],
    agent_texts: Sequence[str],
    intent_known_before: bool,
    bot_answered_from_kb: bool,
    has_account: bool,
    bot_verified: bool = False,
    bot_found_order: bool = False,
) -> NextAction | None:
    """The next procedure step not done yet, or None when no procedure matches."""
    if not flow or not subflow:
        return None
    steps = pack.procedure(flow, subflow)
    if not steps:
        return None
    procedure = f"{flow}/{subflow}"
    before: set[str] = {f.kind for f in facts_before}
    now: set[str] = {f.kind for f in facts_now}
    done: list[str] = []
    by_bot = (IDENTITY_STEPS if bot_verified else set()) | ({ORDER_STEP} if bot_found_order else set())
    for index, step in enumerate(steps, start=1):
        if step.action in by_bot or _done(
            step, before, bot_texts, agent_texts, intent_known_before, bot_answered_from_kb, has_account
        ):
            done.append(step.action)
            continue
        return NextAction(
            action=_action_text(step, now),
            reasoning=_reasoning(step, index, len(steps), procedure, [_label(s) for s in steps[: index - 1]], now),
            procedure=procedure,
            step=step.action,
            step_index=index,
            steps_done=done,
        )
    return NextAction(
        action="Confirm the request is resolved and close the conversation",
        reasoning=f"Every step of the {procedure} procedure appears done ({', '.join(done)}).",
        procedure=procedure,
        step=None,
        step_index=None,
        steps_done=done,
    )


def _needs_met(step: ProcedureStep, kinds: set[str]) -> bool:
    needs = NEEDS.get(step.action)
    if not needs:
        return False
    return all(kinds.intersection(options) for options in needs)


def _done(
    step: ProcedureStep,
    before: set[str],
    bot_texts: Sequence[str],
    agent_texts: Sequence[str],
    intent_known_before: bool,
    bot_answered_from_kb: bool,
    has_account: bool,
) -> bool:
    pattern = DONE_WORDS.get(step.action)
    label = re.escape(step.button.lower())
    if any(re.search(label, t, re.I) or (pattern and re.search(pattern, t, re.I)) for t in agent_texts):
        return True
    if step.action in CUSTOMER_INSTRUCTIONS:
        return bool(pattern) and any(re.search(pattern, t, re.I) for t in bot_texts)  # type: ignore[arg-type]
    if step.action == "membership":
        return "membership" in before
    if step.action == "record-reason":
        return intent_known_before
    if step.action == "pull-up-account" and has_account and before:
        return True
    return _needs_met(step, before)


def _label(step: ProcedureStep) -> str:
    return step.label or step.button


def _action_text(step: ProcedureStep, now: set[str]) -> str:
    needs = NEEDS.get(step.action) or []
    have = [options[0] for options in needs if now.intersection(options)]
    missing = [options[0] for options in needs if not now.intersection(options)]
    text = _label(step)
    if have and not missing:
        text += " with the details the customer gave (" + ", ".join(k.replace("_", " ") for k in have) + ")"
    elif missing:
        text += " (ask for " + ", ".join(k.replace("_", " ") for k in missing) + ")"
    return text


def _reasoning(
    step: ProcedureStep,
    index: int,
    total: int,
    procedure: str,
    done_labels: list[str],
    now: set[str],
) -> str:
    parts = [f"Step {index} of {total} of the {procedure} procedure"]
    done = ", ".join(label[0].lower() + label[1:] for label in done_labels)
    parts.append(f"after the steps done ({done})" if done else "and nothing in it is done yet")
    reason = "; ".join(parts) + "."
    if step.how:
        reason += f" {step.how}"
    elif step.guideline:
        first = re.split(r"(?<=[.!?])\s+", step.guideline.strip(), maxsplit=1)[0]
        if len(first) > GUIDELINE_CHARS:  # ABCD's guidelines often run on without a full stop
            first = first[:GUIDELINE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        reason += f" Guideline: {first}"
    return reason
