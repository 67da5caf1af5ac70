"""The moderation audit log: every staff action says who did what to whom, when and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import AuditLog, LocalUser

MAX_REASON = 2000


def record(session: AsyncSession, actor: LocalUser | None, action: str, target_type: str, target: str,
           reason: str = "", **details: Any) -> AuditLog:
    """Add one entry in the caller's transaction, so the log and the action commit (or roll back) together.

    `actor` None means the system itself (e.g. the automatic switch to approval mode).
    """
    entry = AuditLog(
        actor_id=actor.account_id if actor else None,
        actor_handle=f"@{actor.account.username}" if actor else "system",
        action=action, target_type=target_type, target=target[:2048], reason=reason.strip()[:MAX_REASON],
        details=details,
    )
    session.add(entry)
    return entry


async def recent(session: AsyncSession, *, limit: int = 100, action: str | None = None,
                 before_id: int | None = None) -> list[AuditLog]:
    """Newest first; `before_id` pages backwards."""
    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    if before_id:
        stmt = stmt.where(AuditLog.id < before_id)
    return list((await session.scalars(stmt)).all())


async def about_account(session: AsyncSession, targets: list[str]) -> list[AuditLog]:
    """Oldest first: the entries naming an account by any of `targets` (its handle, and a local one's username)."""
    return list(await session.scalars(select(AuditLog).where(
        AuditLog.target_type == "account", AuditLog.target.in_(targets)).order_by(AuditLog.id)))


async def about_report(session: AsyncSession, report_id: int) -> list[AuditLog]:
    """Oldest first: the actions taken for a report (details.report) and the report's own entries."""
    history = list(await session.scalars(
        select(AuditLog).where(AuditLog.details["report"].as_integer() == report_id).order_by(AuditLog.id)))
    history += list(await session.scalars(select(AuditLog).where(
        AuditLog.target_type == "report", AuditLog.target == str(report_id)).order_by(AuditLog.id)))
    return sorted(history, key=lambda e: e.id)


async def last_staff_action_at(session: AsyncSession) -> Any:
    """When a moderator or admin last did anything (None if never): drives the fall-back to approval mode."""
    return await session.scalar(select(AuditLog.created_at).where(AuditLog.actor_id.is_not(None))
                                .order_by(AuditLog.id.desc()).limit(1))
