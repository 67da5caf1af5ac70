"""Insert-or-skip on a unique key, for rows two jobs may create at once (an actor, an activity, a media URL).

Reading first and inserting after races on PostgreSQL, where inbox jobs run side by side: the loser's unique
violation would fail its whole job. ON CONFLICT DO NOTHING lets both go on and read whichever row won."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert_or_skip(session: AsyncSession, model: Any, key: str, **values: Any) -> Any:
    """INSERT of `values` into `model`'s table that does nothing when a row with the same `key` exists."""
    dialect_insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(model).values(**values).on_conflict_do_nothing(index_elements=[key])
