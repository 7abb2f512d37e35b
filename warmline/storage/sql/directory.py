"""The directory on SQL: the instance secret, staff and their API tokens, presence, and the
accounts conversations show."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update

from warmline.storage.sql.base import SqlBase
from warmline.storage.sql.schema import accounts, api_tokens, instance, staff


class SqlDirectory(SqlBase):
    _secret: str | None = None

    @property
    def token_secret_cached(self) -> bool:
        return self._secret is not None

    def token_secret(self) -> str:
        if self._secret is None:
            with self.engine.connect() as connection:
                row = connection.execute(select(instance.c.value).where(instance.c.key == "token_secret")).first()
            if row is None:
                raise RuntimeError("the database is not migrated: run `warmline db upgrade`")
            self._secret = str(row[0])
        return self._secret

    def add_staff(self, staff_id: str, name: str, role: str, teams: list[str], capacity: int, token_hash: str) -> None:
        now = self.clock()
        with self._transaction() as connection:
            connection.execute(
                insert(staff).values(
                    id=staff_id,
                    name=name,
                    role=role,
                    teams=json.dumps(teams),
                    capacity=capacity,
                    presence="offline",
                    created_at=now,
                )
            )
            connection.execute(insert(api_tokens).values(token_hash=token_hash, staff_id=staff_id, created_at=now))

    def staff_by_token(self, token_hash: str) -> dict[str, Any] | None:
        query = (
            select(staff)
            .join(api_tokens, api_tokens.c.staff_id == staff.c.id)
            .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return {**row._asdict(), "teams": json.loads(row.teams)}

    def get_staff(self, staff_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(staff).where(staff.c.id == staff_id)).first()
        return None if row is None else {**row._asdict(), "teams": json.loads(row.teams)}

    def set_presence(self, staff_id: str, presence: str) -> None:
        with self._transaction() as connection:
            connection.execute(update(staff).where(staff.c.id == staff_id).values(presence=presence))

    def upsert_accounts(self, records: Sequence[dict[str, Any]]) -> int:
        """Load account records (``id``, ``name`` and anything else) for conversations to show."""
        now = self.clock()
        with self._transaction() as connection:
            known = {r[0] for r in connection.execute(select(accounts.c.id))}
            for record in records:
                values = {"name": str(record.get("name", "")), "data": json.dumps(record), "updated_at": now}
                if record["id"] in known:
                    connection.execute(update(accounts).where(accounts.c.id == record["id"]).values(**values))
                else:
                    connection.execute(insert(accounts).values(id=record["id"], **values))
        return len(records)

    def get_account(self, account_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(accounts.c.data).where(accounts.c.id == account_id)).first()
        return None if row is None else json.loads(row[0])
