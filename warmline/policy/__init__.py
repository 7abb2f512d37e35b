"""Escalation policy (DESIGN.md §4): rules as data, a pure ``decide``, explain and replay.

``load_policy(path)`` reads a pack's ``policy.yaml``; ``decide(policy, inputs, now)`` returns a
:class:`Decision` that names the rule that fired and records its inputs; ``conversation_inputs``
(``warmline.policy.inputs``) derives the inputs from the event log.
"""

from __future__ import annotations

from warmline.policy.engine import Decision, PolicyInputs, TeamLoad, decide
from warmline.policy.rules import Policy, PolicyFileError, load_policy

__all__ = [
    "Decision",
    "Policy",
    "PolicyFileError",
    "PolicyInputs",
    "TeamLoad",
    "decide",
    "load_policy",
]
