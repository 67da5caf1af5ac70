"""Which rows a transaction changed, told after it commits: the hook caches above the database use to drop
what a commit made stale (the response cache, the consent store), without importing sqlalchemy themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session


def loaded_values(obj: Any) -> dict[str, Any]:
    """The attributes of a mapped row that are loaded now: reading them never triggers a lazy load (which
    must not happen inside a flush)."""
    return inspect(obj).dict


def watch_commits(
    session_class: type[Session], *, pending_key: str, watched: tuple[type, ...],
    tags_of: Callable[[Any], set[str]], bulk_tag: str, invalidate: Callable[[set[str]], None],
) -> None:
    """After each commit, call `invalidate` with the tags of the watched rows the transaction changed.

    ORM flushes give exact tags; bulk statements on watched tables give ``bulk_tag`` (drop everything), to be
    safe. A rolled-back transaction invalidates nothing."""

    def after_flush(session: Session, _context: Any) -> None:
        pending: set[str] = session.info.setdefault(pending_key, set())
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, watched):
                pending |= tags_of(obj)

    def do_orm_execute(state: ORMExecuteState) -> None:
        if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None \
                and issubclass(state.bind_mapper.class_, watched):
            state.session.info.setdefault(pending_key, set()).add(bulk_tag)

    def after_commit(session: Session) -> None:
        pending = session.info.pop(pending_key, None)
        if pending:
            invalidate(pending)

    def after_soft_rollback(session: Session, _transaction: Any) -> None:
        session.info.pop(pending_key, None)

    event.listen(session_class, "after_flush", after_flush)
    event.listen(session_class, "do_orm_execute", do_orm_execute)
    event.listen(session_class, "after_commit", after_commit)
    event.listen(session_class, "after_soft_rollback", after_soft_rollback)
