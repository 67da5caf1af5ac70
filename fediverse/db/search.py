"""Full-text search over local works (title, description, alt texts) with the database's own engine.

SQLite: the FTS5 virtual table ``work_search`` (rowid = work id). PostgreSQL: the table ``work_search`` with a
GIN index on ``to_tsvector('simple', body)`` (migration 0009). One document per live work, kept in sync by the
works service; nothing here commits.

The query is always data: on SQLite every term becomes an FTS5 string (``"term"``, inner quotes doubled), so
``NEAR``, ``OR``, ``*``, ``^``, ``:``, ``-`` and parentheses are plain text; on PostgreSQL the text goes through
``plainto_tsquery``, which has no operators at all. Terms are ANDed on both.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, column, delete, insert, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import Work

MAX_TERMS = 16  # more words than this add nothing a person searches for, only work for the engine

_pg_search = table("work_search", column("work_id", Integer), column("body"))


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def document(work: Work) -> str:
    """What a work is found by: its title, its description and the alt text of every image."""
    return "\n".join([work.title or "", work.description or "", *(image.alt_text or "" for image in work.images)])


def terms(query: str) -> list[str]:
    """The words of a query (whitespace-separated, at most MAX_TERMS); terms without a letter or digit are
    dropped, since no tokenizer would index them."""
    return [t for t in query.split() if any(c.isalnum() for c in t)][:MAX_TERMS]


def fts5_query(query: str) -> str:
    """An FTS5 MATCH expression in which every term is a quoted string: no syntax survives."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms(query))


async def index_work(session: AsyncSession, work: Work) -> None:
    """(Re)write the work's search document."""
    await remove_work(session, work.id)
    if _dialect(session) == "sqlite":
        await session.execute(text("INSERT INTO work_search (rowid, body) VALUES (:id, :body)"),
                              {"id": work.id, "body": document(work)})
    else:
        await session.execute(insert(_pg_search).values(work_id=work.id, body=document(work)))


async def remove_work(session: AsyncSession, work_id: int) -> None:
    """A deleted work is found no more."""
    if _dialect(session) == "sqlite":
        await session.execute(text("DELETE FROM work_search WHERE rowid = :id"), {"id": work_id})
    else:
        await session.execute(delete(_pg_search).where(_pg_search.c.work_id == work_id))


def matching(session: AsyncSession, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause on ``Work``: the works whose document contains every term (None: nothing to search)."""
    if not terms(query):
        return None
    if _dialect(session) == "sqlite":
        found = text("SELECT rowid FROM work_search WHERE work_search MATCH :q").bindparams(q=fts5_query(query))
    else:
        found = text("SELECT work_id FROM work_search WHERE to_tsvector('simple', body) @@ "
                     "plainto_tsquery('simple', :q)").bindparams(q=" ".join(terms(query)))
    return Work.id.in_(found.columns(column("id", Integer)))
