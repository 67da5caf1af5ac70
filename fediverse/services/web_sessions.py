"""Server-side panel sessions: one row per logged-in browser, found by a SHA-256 of the cookie's token.

Why rows and not only a signed cookie: a signed cookie cannot be taken back. With a row behind every cookie,
logging out, changing the password, a staff suspension or "end this session" in the studio delete rows, and
a copied cookie stops working on its next request. Only the hash is stored, so a copy of the database (a
backup, a leaked dump) logs nobody in. Rows idle or older than the limits are refused, and housekeeping
prunes them. `last_seen_at` is written at most once a minute, never on every request.

The helpers here never commit (housekeeping, a suspension and a password change call them inside their own
transactions). The use cases at the end (log in, keep alive, log out, end sessions from the studio) commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import WebSession

IDLE = timedelta(hours=12)  # a session unused this long is over
MAX_AGE = timedelta(days=14)  # and no session outlives this, used or not
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
MAX_USER_AGENT = 300
MAX_ADDRESS = 64


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _alive(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return WebSession.last_seen_at > now - IDLE, WebSession.created_at > now - MAX_AGE


async def open_session(session: AsyncSession, account_id: int, user_agent: str, client_address: str,
                       now: datetime) -> str:
    """A new session row; returns the token for the cookie (the only place it ever exists in full)."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=token_hash(token), account_id=account_id, created_at=now, last_seen_at=now,
                           user_agent=user_agent[:MAX_USER_AGENT], client_address=client_address[:MAX_ADDRESS]))
    await session.flush()
    return token


def live(token: str, now: datetime) -> tuple[ColumnElement[bool], ...] | None:
    """WHERE clauses on WebSession: the live row of this token (None: no token of this shape can be one)."""
    if not token or len(token) > 200:
        return None
    return (WebSession.token_hash == token_hash(token), *_alive(now))


async def current(session: AsyncSession, token: str, now: datetime) -> WebSession | None:
    """The live session for this token, or None when it was ended, is idle too long or too old."""
    where = live(token, now)
    return await session.scalar(select(WebSession).where(*where)) if where is not None else None


def touch(row: WebSession, now: datetime) -> bool:
    """Move last_seen_at forward when it is more than a minute old; True when the row changed (commit it)."""
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    row.last_seen_at = now
    return True


async def active(session: AsyncSession, account_id: int, now: datetime) -> list[WebSession]:
    """The account's live sessions, most recently used first (for the studio's list)."""
    rows = await session.scalars(select(WebSession).where(WebSession.account_id == account_id, *_alive(now))
                                 .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc()))
    return list(rows)


async def end(session: AsyncSession, token: str) -> None:
    """Log this browser out."""
    await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


async def end_one(session: AsyncSession, account_id: int, session_id: int) -> bool:
    """End one of the account's own sessions (never another account's); False when there is no such session."""
    result = await session.execute(delete(WebSession).where(WebSession.id == session_id,
                                                            WebSession.account_id == account_id))
    return bool(result.rowcount)


async def end_all(session: AsyncSession, account_id: int, *, keep_token: str | None = None) -> int:
    """End every session of the account, except the one holding `keep_token`; returns how many ended."""
    query = delete(WebSession).where(WebSession.account_id == account_id)
    if keep_token is not None:
        query = query.where(WebSession.token_hash != token_hash(keep_token))
    result = await session.execute(query)
    return result.rowcount or 0


async def prune(session: AsyncSession, now: datetime) -> int:
    """Delete sessions idle or older than the limits (housekeeping); returns how many went."""
    result = await session.execute(delete(WebSession).where(
        (WebSession.last_seen_at <= now - IDLE) | (WebSession.created_at <= now - MAX_AGE)))
    return result.rowcount or 0


# --- use cases: each commits ---------------------------------------------------------------------------------

async def log_in(session: AsyncSession, account_id: int, user_agent: str, client_address: str,
                 now: datetime) -> str:
    """A new session row, committed together with what the login changed before it (a re-hashed password, a
    new password and the sessions it ended); returns the token for the cookie."""
    token = await open_session(session, account_id, user_agent, client_address, now)
    await session.commit()
    return token


async def keep_alive(session: AsyncSession, row: WebSession, now: datetime) -> None:
    """Note that the session is in use: `touch`, committed at once when it wrote (at most once a minute)."""
    if touch(row, now):
        await session.commit()


async def log_out(session: AsyncSession, token: str) -> None:
    """Log this browser out for good: a copy of the cookie stops working too."""
    await end(session, token)
    await session.commit()


async def log_out_one(session: AsyncSession, account_id: int, session_id: int) -> bool:
    """End one of the account's own sessions and commit; False when there is no such session."""
    ended = await end_one(session, account_id, session_id)
    if ended:
        await session.commit()
    return ended


async def log_out_others(session: AsyncSession, account_id: int, keep_token: str) -> int:
    """End every other session of the account and commit; how many ended."""
    ended = await end_all(session, account_id, keep_token=keep_token)
    await session.commit()
    return ended
