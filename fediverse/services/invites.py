"""Invite links: a code usable `max_uses` times until it expires or an admin revokes it."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.errors import Invalid, found
from fediverse.models import Invite, LocalUser, utcnow
from fediverse.services import modlog

MAX_CODE_CHARS = 64
MAX_USES = 10_000
MAX_DAYS = 3650


def usable(invite: Invite, now: datetime) -> bool:
    return (invite.revoked_at is None and (invite.expires_at is None or invite.expires_at > now)
            and (invite.max_uses is None or invite.uses < invite.max_uses))


def state(invite: Invite, now: datetime) -> str:
    """For the admin list: active, revoked, expired or used up."""
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at is not None and invite.expires_at <= now:
        return "expired"
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return "used up"
    return "active"


async def find_usable(session: AsyncSession, code: str) -> Invite | None:
    code = code.strip()
    if not code or len(code) > MAX_CODE_CHARS:
        return None
    invite = await session.scalar(select(Invite).where(Invite.code == code))
    return invite if invite is not None and usable(invite, utcnow()) else None


async def use(session: AsyncSession, invite: Invite) -> bool:
    """Count one use, atomically: two sign-ups racing for the last use cannot both get it."""
    now = utcnow()
    result = await session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.revoked_at.is_(None),
                             (Invite.max_uses.is_(None)) | (Invite.uses < Invite.max_uses),
                             (Invite.expires_at.is_(None)) | (Invite.expires_at > now))
        .values(uses=Invite.uses + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


async def create(session: AsyncSession, admin: LocalUser, *, max_uses: int | None, days: int | None) -> Invite:
    """A new invite (None = unlimited uses / never expires); logged and committed."""
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise Invalid(f"the number of uses must be between 1 and {MAX_USES}, or empty for no limit")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise Invalid(f"the validity must be between 1 and {MAX_DAYS} days, or empty for no expiry")
    invite = Invite(code=secrets.token_urlsafe(9), created_by_id=admin.account_id, max_uses=max_uses,
                    expires_at=utcnow() + timedelta(days=days) if days else None)
    session.add(invite)
    await session.flush()
    modlog.record(session, admin, "invite.create", "invite", invite.code, max_uses=max_uses, days=days)
    await session.commit()
    return invite


async def revoke(session: AsyncSession, admin: LocalUser, invite_id: int) -> Invite:
    """Revoke an invite (again is a no-op) and commit."""
    invite = found(await session.get(Invite, invite_id), "no such invite")
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        modlog.record(session, admin, "invite.revoke", "invite", invite.code, uses=invite.uses)
    await session.commit()
    return invite


async def recent(session: AsyncSession, limit: int = 200) -> list[Invite]:
    return list((await session.scalars(select(Invite).order_by(Invite.id.desc()).limit(limit))).all())
