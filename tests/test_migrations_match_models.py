"""The migrations build the schema the models describe (SQLite, or PostgreSQL when configured): every table,
column, index, foreign key and unique constraint a model declares exists after `upgrade head`, and nothing more.
Migrations written by hand (and re-chained when branches merge) drift silently otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from fediverse.models.base import Base
from tests.support import bare_runtime

IGNORED_TABLES = {"alembic_version"}


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Search tables the migrations make on purpose without a model (SQLite's FTS5 shadow tables, the
    PostgreSQL search table) are not model drift."""
    if type_ == "table":
        return name not in IGNORED_TABLES and not (name or "").startswith("work_search")
    table = getattr(obj, "table", None)
    return not (table is not None and table.name.startswith("work_search"))


def _fk_key(constraint: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    elements = list(constraint.elements)
    return (constraint.table.name, tuple(e.parent.name for e in elements), tuple(e.target_fullname for e in elements))


def _inline_sqlite_references(connection: Connection, differences: list[Any]) -> list[Any]:
    """SQLite keeps a reference added with ALTER TABLE ADD COLUMN inline (`col REFERENCES t (id) ON DELETE ...`),
    and SQLAlchemy reflects such a reference without its name or ON DELETE; PRAGMA foreign_key_list has them.
    A reflected reference that matches the model's on table, columns, target and (by PRAGMA) ON DELETE is the
    same constraint, not drift."""
    if connection.dialect.name != "sqlite":
        return differences
    removed = {_fk_key(d[1]): d for d in differences if d[0] == "remove_fk"}
    same: list[Any] = []
    for added in (d for d in differences if d[0] == "add_fk" and _fk_key(d[1]) in removed):
        table, columns, _ = _fk_key(added[1])
        pragma = connection.exec_driver_sql(f"PRAGMA foreign_key_list({table})").fetchall()
        on_delete = {row[3]: row[6] for row in pragma}  # from-column -> ON DELETE action
        if all(on_delete.get(column) == (added[1].ondelete or "NO ACTION").upper() for column in columns):
            same += [added, removed[_fk_key(added[1])]]
    return [d for d in differences if not any(d is s for s in same)]


async def test_upgrade_head_matches_the_models(tmp_path: Path) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"include_object": _include, "compare_type": False})
        return _inline_sqlite_references(connection, compare_metadata(context, Base.metadata))

    async with bare_runtime(tmp_path, "schema.test") as rt, rt.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
