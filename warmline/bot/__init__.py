"""The bot's room: what the conversation core may ask of a bot, and the product's bot.

- ``contract``: the ``Bot`` protocol (every ability the core calls), the per-turn ``BotTurn`` and
  ``PreparedTurn``, ``BotDefaults`` (the no-op abilities) and the ``PlaceholderBot``;
- ``context``: ``TurnSnapshot``, what the bot knows at one point of a conversation (history,
  analysis, account, team load, now), built once per turn and passed to the steps below;
- ``decision``: analysis -> routing -> policy, for a turn the bot owns;
- ``handoff``: the handoff's assembly (routing, payload, the customer's notice, the escalation);
- ``model_bot``: ``ModelBot``, the product's bot that wires these together, and ``build_bot``.
"""

from __future__ import annotations

from warmline.bot.contract import Bot, BotDefaults, BotTurn, PlaceholderBot, PreparedTurn

__all__ = ["Bot", "BotDefaults", "BotTurn", "PlaceholderBot", "PreparedTurn"]
