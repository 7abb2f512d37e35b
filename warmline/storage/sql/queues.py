"""The queue view on SQL: who waits for which team, and each team's load (waiting, oldest wait,
agents online, free capacity), read from the conversations' projection and the staff table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from warmline.conversation.state import ConversationState, Status
from warmline.storage.sql.base import SqlBase, utc
from warmline.storage.sql.schema import conversations, staff


class SqlQueueView(SqlBase):
    def queue(self, team: str | None, limit: int = 100) -> list[ConversationState]:
        """Conversations waiting for an agent: most urgent first, then the earliest SLA, then
        the longest wait."""
        query = (
            select(conversations.c.state)
            .where(conversations.c.status == Status.WAITING_FOR_AGENT.value)
            .order_by(
                conversations.c.priority,
                conversations.c.sla_due_at,
                conversations.c.waiting_since,
                conversations.c.id,
            )
            .limit(limit)
        )
        if team is not None:
            query = query.where(conversations.c.team == team)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [ConversationState.from_dict(json.loads(r[0])) for r in rows]

    def team_load(self) -> dict[str, dict[str, Any]]:
        """Per team: conversations waiting, oldest wait start, agents online and their free
        capacity. Feeds the policy's availability snapshot and the queue views."""
        load: dict[str, dict[str, Any]] = {}

        def team(name: str) -> dict[str, Any]:
            return load.setdefault(
                name, {"waiting": 0, "oldest_waiting_since": None, "agents_online": 0, "free_capacity": 0}
            )

        with self.engine.connect() as connection:
            waiting = connection.execute(
                select(conversations.c.team, func.count(), func.min(conversations.c.waiting_since))
                .where(conversations.c.status == Status.WAITING_FOR_AGENT.value)
                .group_by(conversations.c.team)
            ).all()
            held: dict[str, int] = dict(
                connection.execute(
                    select(conversations.c.agent_id, func.count())
                    .where(conversations.c.status == Status.WITH_AGENT.value)
                    .group_by(conversations.c.agent_id)
                ).all()
            )
            agents = connection.execute(
                select(staff.c.id, staff.c.teams, staff.c.capacity).where(
                    staff.c.role == "agent", staff.c.presence == "online"
                )
            ).all()
        for name, count, oldest in waiting:
            entry = team(name or "triage")
            entry["waiting"] = int(count)
            entry["oldest_waiting_since"] = utc(oldest) if oldest else None
        for agent_id, teams, capacity in agents:
            for name in json.loads(teams):
                entry = team(name)
                entry["agents_online"] += 1
                entry["free_capacity"] += max(0, capacity - int(held.get(agent_id, 0)))
        return load
