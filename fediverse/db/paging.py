"""Paging a query by a row id, as the client API pages every list (``max_id``, ``since_id``, ``min_id``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select


def by_id(stmt: Select[Any], column: Any, *, max_id: int | None, since_id: int | None, min_id: int | None,
          limit: int) -> tuple[Select[Any], bool]:
    """``stmt`` limited to one page: newest first, older than ``max_id``, newer than ``since_id``; with ``min_id``
    the rows just newer than it, read oldest first. Returns the statement and whether its rows must be reversed
    (so that every page is answered newest first)."""
    if max_id is not None:
        stmt = stmt.where(column < max_id)
    if since_id is not None:
        stmt = stmt.where(column > since_id)
    if min_id is not None:
        return stmt.where(column > min_id).order_by(column).limit(limit), True
    return stmt.order_by(column.desc()).limit(limit), False
