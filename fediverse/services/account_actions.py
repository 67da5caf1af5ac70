"""Staff actions on one account: silence, suspend, mark sensitive, change role; and their undo.

Every action is audited (`modlog.record`) in the caller's transaction. Guard rails, as Mastodon's
AccountPolicy: staff act only on remote accounts or on local ones of a lower role; nobody acts on
themselves or on the instance actor; the last admin can be neither demoted nor suspended.

A local suspension federates as Mastodon's SuspendAccountService does: a `Delete` of the actor, signed by the
account, goes to its followers' servers and to the servers of accounts it follows. The actor, WebFinger and
pages then answer 410, login is refused and every panel session of the account ends. Unsuspending restores everything here (nothing was deleted), but
other servers have dropped the account for good: like Mastodon, we send no "undo" of that Delete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.moderation import render_delete_actor
from fediverse.db import accounts as account_db
from fediverse.db import follows as follow_db
from fediverse.db import paging
from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.federation.outbox import publish
from fediverse.models import ACCEPTED, ROLES, Account, AuditLog, Follow, LocalUser, utcnow
from fediverse.services import modlog, web_sessions

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

ROLE_RANK = {"artist": 0, "moderator": 1, "admin": 2}
ACTIONS = ("silence", "unsilence", "suspend", "unsuspend", "sensitive", "unsensitive")
STATUSES = ("active", "pending", "disabled", "silenced", "suspended")  # Mastodon's admin account filters


@dataclass(frozen=True)
class AccountQuery:
    """What a moderation app filters the account list by (Mastodon's admin accounts v1/v2 parameters)."""

    origin: str | None = None  # "local" | "remote" | None (both)
    status: str | None = None  # one of STATUSES; "disabled" matches nobody (no such state here)
    username: str = ""         # contained in the username, case-insensitive
    display_name: str = ""
    email: str = ""            # the whole address, case-insensitive (local accounts only)
    by_domain: str = ""
    staff: bool = False        # moderators and admins only


async def find_accounts(session: AsyncSession, query: AccountQuery, *, max_id: int | None = None,
                        since_id: int | None = None, min_id: int | None = None,
                        limit: int = 100) -> list[tuple[Account, LocalUser | None]]:
    """The accounts staff may look at (never the instance actor) matching `query`, newest id first, paged by id
    as Mastodon's lists are (`min_id` pages forwards from the oldest side)."""
    stmt = (select(Account, LocalUser).outerjoin(LocalUser, LocalUser.account_id == Account.id)
            .where(or_(Account.domain.is_not(None), Account.actor_type != "Application")))
    if query.origin == "local":
        stmt = stmt.where(Account.domain.is_(None))
    elif query.origin == "remote":
        stmt = stmt.where(Account.domain.is_not(None))
    status = query.status
    if status == "active":
        stmt = stmt.where(Account.suspended_at.is_(None), or_(LocalUser.approved.is_(None), LocalUser.approved))
    elif status == "pending":
        stmt = stmt.where(LocalUser.approved.is_(False))
    elif status == "disabled":
        stmt = stmt.where(false())
    elif status == "silenced":
        stmt = stmt.where(Account.silenced_at.is_not(None))
    elif status == "suspended":
        stmt = stmt.where(Account.suspended_at.is_not(None))
    if query.username:
        stmt = stmt.where(func.lower(Account.username).contains(query.username.lower(), autoescape=True))
    if query.display_name:
        stmt = stmt.where(func.lower(Account.display_name).contains(query.display_name.lower(), autoescape=True))
    if query.email:
        stmt = stmt.where(func.lower(LocalUser.email) == query.email.lower())
    if query.by_domain:
        stmt = stmt.where(Account.domain == query.by_domain.lower())
    if query.staff:
        stmt = stmt.where(LocalUser.role.in_(("moderator", "admin")))
    page, reverse = paging.by_id(stmt, Account.id, max_id=max_id, since_id=since_id, min_id=min_id, limit=limit)
    rows = [(a, u) for a, u in (await session.execute(page)).all()]
    return rows[::-1] if reverse else rows


def require_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise Invalid("say why: every moderation action needs a reason, which is kept in the audit log")
    return text


async def find_account(session: AsyncSession, account_id: int) -> Account:
    """An account staff may look at (NotFound for an unknown id or the instance actor)."""
    account = await session.get(Account, account_id)
    if account is None or (account.is_local and account.actor_type == "Application"):
        raise NotFound("no such account")
    return account


async def target_user(session: AsyncSession, account: Account) -> LocalUser | None:
    """The local user behind `account`, None for a remote one."""
    return await session.get(LocalUser, account.id) if account.is_local else None


async def check_may_act(session: AsyncSession, staff: LocalUser, account: Account) -> None:
    """Invalid when `staff` may not act on `account` (themselves, the instance actor, an equal or higher role)."""
    if account.id == staff.account_id:
        raise Invalid("you cannot take moderation actions against your own account")
    if account.is_local and account.actor_type == "Application":
        raise Invalid("the instance actor cannot be moderated")
    target = await target_user(session, account)
    if target is not None and ROLE_RANK.get(target.role, 0) >= ROLE_RANK.get(staff.role, 0):
        raise Invalid(f"@{account.username} is a {target.role}; only someone of a higher role may act on them")


async def _admin_count(session: AsyncSession) -> int:
    return await session.scalar(
        select(func.count()).select_from(LocalUser).join(LocalUser.account)
        .where(LocalUser.role == "admin", Account.actor_type != "Application", Account.suspended_at.is_(None))) or 0


async def apply(rt: Runtime, session: AsyncSession, staff: LocalUser, account: Account, action: str, reason: str,
                **details: object) -> None:
    """Run one account action and write its audit entry (`account.<action>`); the caller commits."""
    if action not in ACTIONS:
        raise Invalid(f"unknown account action {action!r}")
    reason = require_reason(reason)
    await check_may_act(session, staff, account)
    now = utcnow()
    if action == "silence":
        account.silenced_at = account.silenced_at or now
    elif action == "unsilence":
        account.silenced_at = None
    elif action == "sensitive":
        account.sensitized_at = account.sensitized_at or now
    elif action == "unsensitive":
        account.sensitized_at = None
    elif action == "suspend":
        if account.suspended_at is not None:
            raise Conflict(f"{account.handle} is already suspended")
        details = {**details, **await _suspend(rt, session, account)}
    elif action == "unsuspend":
        if account.suspended_at is None:
            raise Conflict(f"{account.handle} is not suspended")
        account.suspended_at = None
    modlog.record(session, staff, f"account.{action}", "account", handle_of(rt, account), reason, **details)


async def take_action(rt: Runtime, session: AsyncSession, staff: LocalUser, account: Account, action: str,
                      reason: str) -> None:
    """The accounts page's use case: `apply` one action and commit it (reports and the quarantine call `apply`
    inside their own transactions instead)."""
    await apply(rt, session, staff, account, action, reason)
    await session.commit()


def handle_of(rt: Runtime, account: Account) -> str:
    return f"{account.username}@{account.domain or rt.uris.domain}"


async def history(rt: Runtime, session: AsyncSession, account: Account) -> list[AuditLog]:
    """The audit entries about `account`, oldest first: by handle, and for a local one by bare username too
    (role changes name the username)."""
    handle = handle_of(rt, account)
    return await modlog.about_account(session, [handle, account.username] if account.is_local else [handle])


async def _suspend(rt: Runtime, session: AsyncSession, account: Account) -> dict[str, object]:
    account.suspended_at = utcnow()
    if not account.is_local:
        # Follows both ways go; its notes are hidden (views check suspended_at); its activities are ignored.
        result = await session.execute(delete(Follow).where(
            or_(Follow.follower_id == account.id, Follow.followee_id == account.id)))
        return {"follows_removed": result.rowcount or 0}
    # Logged out everywhere at once: a cookie copied before the suspension must not work after an unsuspension.
    sessions_ended = await web_sessions.end_all(session, account.id)
    tokens_revoked = await account_db.end_app_tokens(session, account.id)  # apps lose access too (client API tokens)
    inboxes = await _known_inboxes(rt, session, account)
    if inboxes:
        await publish(session, account, render_delete_actor(rt.uris.new_activity(), account.uri), inboxes=inboxes)
    return {"delete_sent_to": len(inboxes), "sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked}


async def _known_inboxes(rt: Runtime, session: AsyncSession, account: Account) -> list[str]:
    """Followers' delivery inboxes and those of the remote accounts it follows: every server that knows it."""
    followers = await follow_db.follower_inboxes(session, account.id)
    followees = await session.scalars(
        select(Account).join(Follow, Follow.followee_id == Account.id)
        .where(Follow.follower_id == account.id, Follow.state == ACCEPTED, Account.domain.is_not(None)))
    inboxes = [inbox for inbox in followers if not rt.uris.is_local(inbox)]
    inboxes += [a.delivery_inbox for a in followees]
    return list(dict.fromkeys(inboxes))


async def change_role(session: AsyncSession, admin: LocalUser, user: LocalUser, role: str, reason: str) -> None:
    """Admins only (the view checks); never one's own role, never leaving the instance without an admin.
    Commits the new role with its audit entry."""
    reason = require_reason(reason)
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if user.account_id == admin.account_id:
        raise Invalid("you cannot change your own role")
    if user.account.actor_type == "Application":
        raise Invalid("the instance actor's role cannot be changed")
    if user.role == role:
        raise Conflict(f"@{user.account.username} already is a {role}")
    if user.role == "admin" and await _admin_count(session) <= 1:
        raise Invalid("this is the last admin; make someone else an admin first")
    previous, user.role = user.role, role
    modlog.record(session, admin, "account.role", "account", user.account.username, reason,
                  previous=previous, role=role)
    await session.commit()
