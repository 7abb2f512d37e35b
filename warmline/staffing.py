"""Staff: creating members and their API tokens (CLI and admin API share this), the members
standing for desk agents, and presence."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from typing import Any

from warmline.access import check_agent
from warmline.auth import Principal, check_role, new_staff_token
from warmline.errors import InvalidInput
from warmline.storage.protocols import Directory

TEAM_NAME = r"^[a-z][a-z0-9_-]{0,63}$"
PRESENCES = ("online", "away", "offline")


def check_teams(teams: list[str], known: Collection[str] = ()) -> list[str]:
    """Well-formed team names and, when ``known`` is given (the teams conversations are routed
    to), only those: an agent in a misspelt team would wait for conversations that never come."""
    import re

    bad = [t for t in teams if not re.match(TEAM_NAME, t)]
    if bad:
        raise InvalidInput(f"invalid team name(s): {', '.join(bad)}", code="invalid_team")
    unknown = sorted(set(teams) - set(known)) if known else []
    if unknown:
        raise InvalidInput(
            f"unknown team(s): {', '.join(unknown)}", code="unknown_team", details={"teams": sorted(known)}
        )
    return sorted(set(teams))


def do_create_staff(
    store: Directory, name: str, role: str, teams: list[str], capacity: int = 3, known_teams: Collection[str] = ()
) -> dict[str, Any]:
    role = check_role(role)
    if not name.strip() or len(name) > 120:
        raise InvalidInput("name must be 1-120 characters", code="invalid_name")
    teams = check_teams(teams, known_teams)
    staff_id = {"agent": "ag_", "lead": "ld_", "admin": "ad_"}[role] + secrets.token_hex(6)
    token, token_hash = new_staff_token()
    store.add_staff(staff_id, name.strip(), role, teams, capacity, token_hash)
    return {"id": staff_id, "name": name.strip(), "role": role, "teams": teams, "capacity": capacity, "token": token}


def do_register_desk_agent(store: Directory, staff_id: str, name: str, teams: list[str], capacity: int = 50) -> None:
    """The staff member standing for an external desk's agent: works through the desk's webhooks,
    so it gets a token hash no token can match (nobody logs in as it)."""
    teams = check_teams(teams)
    unusable = hashlib.sha256(f"desk-agent-no-login:{staff_id}".encode()).hexdigest()
    store.add_staff(staff_id, name[:120], "agent", teams, capacity, unusable)


def do_set_presence(store: Directory, caller: Principal, presence: str) -> dict[str, Any]:
    check_agent(caller)
    if presence not in PRESENCES:
        raise InvalidInput(f"presence must be one of {', '.join(PRESENCES)}", code="invalid_presence")
    store.set_presence(caller.id, presence)
    return {"id": caller.id, "presence": presence}
