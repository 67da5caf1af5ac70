"""Local accounts: create artists (with their RSA key), the instance actor, passwords."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Select, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.signatures.keys import generate_private_key, private_key_to_pem, public_key_pem
from fediverse.db import accounts as account_db
from fediverse.db import paging
from fediverse.db.blocks import quiet_actors
from fediverse.errors import Conflict, Invalid, NotFound, found
from fediverse.models import (
    ROLES, Account, LocalNote, LocalUser, Notification, RemoteNote, Status, WebSession, Work, utcnow,
)
from fediverse.services import web_sessions
from fediverse.services.visibility import visible_to

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

USERNAME_RE = re.compile(r"^[a-z0-9_]+([.-]+[a-z0-9_]+)*$")
MAX_USERNAME = 30
RESERVED = {"actor", "admin", "inbox", "users", "well-known", "nodeinfo", "media", "static", "api", "about", "root"}
_hasher = PasswordHasher()
PANEL_ROLES = ("artist", "moderator", "admin")
MAX_LOGIN_USERNAME = 320
# Verified when the username is unknown or has no password, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone here")


async def require_local_user(session: AsyncSession, username: str) -> LocalUser:
    """The local user, or NotFound with a message the CLI prints as it is."""
    return found(await account_db.local_user(session, username), f"no local account {username!r}")


def instance_username(rt: Runtime) -> str:
    """The instance actor's preferredUsername: the host name, as Mastodon and GoToSocial do."""
    return (urlsplit(rt.settings.base_url).hostname or "instance").lower()


def validate_username(rt: Runtime, username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > MAX_USERNAME:
        raise Invalid(f"username must be 1 to {MAX_USERNAME} characters")
    if not USERNAME_RE.match(name):
        raise Invalid("username may use a-z, 0-9 and _, with single . or - between them (Mastodon's rule)")
    if name in RESERVED or name == instance_username(rt):
        raise Invalid(f"username {name!r} is reserved")
    return name


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise Invalid("password must be at least 8 characters")
    if len(password) > 1024:
        raise Invalid("password must be at most 1024 characters")
    return _hasher.hash(password)


def check_password(user: LocalUser, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def may_log_in(user: LocalUser) -> bool:
    """Approved artists, moderators and admins with a password; never the instance actor or a suspended account."""
    return _eligible(user) and user.approved


def _eligible(user: LocalUser) -> bool:
    """Everything may_log_in asks except approval."""
    account = user.account
    return (bool(user.password_hash) and user.role in PANEL_ROLES and account.actor_type != "Application"
            and account.is_local and account.suspended_at is None)


class AwaitingApproval(Exception):
    """The password is right but a moderator has not approved this sign-up yet (the person is told so)."""


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def login_name(rt: Runtime, username: str) -> str:
    """The local username a login form names: `Alice`, `@alice` and `@alice@this.domain` are all `alice`
    (so login limits count them as one account); a handle on another domain names nobody here ("")."""
    name = username.strip().lstrip("@").lower()
    if "@" in name:
        local, _, domain = name.partition("@")
        name = local if domain == rt.uris.domain else ""
    return name


async def authenticate(rt: Runtime, session: AsyncSession, username: str, password: str) -> LocalUser | None:
    """The user for this username and password, or None; unknown names take as long as wrong passwords.

    argon2 runs in the runtime's thread pool so a login never stalls the event loop. A hash made with
    older parameters is upgraded on success (the caller commits). A right password for a sign-up still
    waiting for approval raises AwaitingApproval, so the person is not told their password is wrong.
    """
    name = login_name(rt, username)
    user = await account_db.local_user(session, name) if 0 < len(name) <= MAX_LOGIN_USERNAME else None
    password = password[:1024]
    stored = user.password_hash if user is not None else None
    ok = await rt.run_in_pool(_verify, stored, password)
    if ok and user is not None and not user.approved and _eligible(user):
        raise AwaitingApproval(user.account.username)
    if not ok or user is None or not may_log_in(user):
        return None
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    return user


async def change_password(rt: Runtime, session: AsyncSession, user: LocalUser, current: str, new: str,
                          confirm: str) -> None:
    """Set a new password once the current one is proven, and end every session and app token of the account:
    whoever held a copy of a cookie or a token is out (apps sign in again, as on Mastodon). The caller opens a
    fresh session for the browser that asked, and commits."""
    if not await rt.run_in_pool(_verify, user.password_hash, current[:1024]):
        raise Invalid("the current password is wrong")
    if new != confirm:
        raise Invalid("the two new passwords are not the same")
    user.password_hash = await rt.run_in_pool(hash_password, new)
    await web_sessions.end_all(session, user.account_id)
    await account_db.end_app_tokens(session, user.account_id)


NOTIFICATION_FILTERS = {"follow": ("follow", "follow_request"), "like": ("like",), "boost": ("announce",),
                        "reply": ("reply",), "mention": ("mention",)}


def _of_kind(account_id: int, kinds: tuple[str, ...] | None) -> list[ColumnElement[bool]]:
    where = [Notification.account_id == account_id,
             or_(Notification.actor_id.is_(None), Notification.actor_id.not_in(quiet_actors(account_id)))]
    if kinds is not None:
        where.append(Notification.kind.in_(kinds))
    return where


async def notifications(
    session: AsyncSession, account_id: int, *, limit: int = 50, kinds: tuple[str, ...] | None = None
) -> list[tuple[Notification, Work | None, RemoteNote | None, LocalNote | None]]:
    """The newest notifications of a local account (only these ``kinds``, if given), each with its work, remote
    note and local text note when it has them."""
    rows = await session.execute(
        select(Notification, Work, RemoteNote, LocalNote)
        .outerjoin(Work, Work.id == Notification.work_id)
        .outerjoin(RemoteNote, RemoteNote.id == Notification.note_id)
        .outerjoin(LocalNote, LocalNote.id == Notification.local_note_id)
        .where(*_of_kind(account_id, kinds))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    )
    return [(n, w, r, local) for n, w, r, local in rows.all()]


NotificationRow = tuple[Notification, Work | None, RemoteNote | None, LocalNote | None]


def _notification_rows() -> Select[Any]:
    return (select(Notification, Work, RemoteNote, LocalNote)
            .outerjoin(Work, Work.id == Notification.work_id)
            .outerjoin(RemoteNote, RemoteNote.id == Notification.note_id)
            .outerjoin(LocalNote, LocalNote.id == Notification.local_note_id))


async def notification_page(session: AsyncSession, account_id: int, *, kinds: tuple[str, ...] | None = None,
                            actor_id: int | None = None, max_id: int | None = None, since_id: int | None = None,
                            min_id: int | None = None, limit: int = 20) -> list[NotificationRow]:
    """A page of the account's notifications by id, as the client API pages them: newest first, older than
    ``max_id``, newer than ``since_id``; ``min_id``: the ones just newer than it (still answered newest first)."""
    query = _notification_rows().where(*_of_kind(account_id, kinds))
    if actor_id is not None:
        query = query.where(Notification.actor_id == actor_id)
    page, reverse = paging.by_id(query, Notification.id, max_id=max_id, since_id=since_id, min_id=min_id,
                                 limit=limit)
    rows = [(n, w, r, local) for n, w, r, local in (await session.execute(page)).all()]
    return rows[::-1] if reverse else rows


async def notification_of(session: AsyncSession, account_id: int, notification_id: int) -> NotificationRow:
    """One notification of the account; NotFound for another account's (nobody learns it exists)."""
    row = (await session.execute(_notification_rows().where(
        Notification.id == notification_id, Notification.account_id == account_id))).first() \
        if 0 < notification_id < 2 ** 31 else None
    if row is None:
        raise NotFound("Record not found")
    return (row[0], row[1], row[2], row[3])


async def dismiss_notification(session: AsyncSession, account_id: int, notification_id: int) -> None:
    """Delete one of the account's notifications and commit; NotFound for another account's."""
    result = await session.execute(delete(Notification).where(
        Notification.id == notification_id, Notification.account_id == account_id)) \
        if 0 < notification_id < 2 ** 31 else None
    if result is None or not result.rowcount:
        raise NotFound("Record not found")
    await session.commit()


async def clear_notifications(session: AsyncSession, account_id: int) -> None:
    """Delete all of the account's notifications (only hers) and commit."""
    await session.execute(delete(Notification).where(Notification.account_id == account_id))
    await session.commit()


async def notified_statuses(session: AsyncSession, viewer: Account, rows: list[NotificationRow]) -> dict[int, int]:
    """Notification id -> the status it is about (a reply or mention: the note; a like or boost: the post), if
    ``viewer`` (the notified) may see it."""
    wanted = {n.id: (n.note_id, n.local_note_id, n.work_id) for n, *_rest in rows}
    columns = (Status.remote_note_id, Status.local_note_id, Status.work_id)
    found: dict[tuple[int, int], int] = {}
    for index, column in enumerate(columns):
        ids = {keys[index] for keys in wanted.values() if keys[index] is not None}
        if ids:
            for key, status_id in (await session.execute(select(column, Status.id).where(
                    column.in_(ids), Status.reblog_of_id.is_(None), visible_to(viewer)))).all():
                found[(index, key)] = status_id
    result: dict[int, int] = {}
    for notification_id, keys in wanted.items():
        for index, key in enumerate(keys):
            if key is not None and (index, key) in found:
                result[notification_id] = found[(index, key)]
                break
    return result


def _unread_count(account_id: int | ColumnElement[int]) -> Select[tuple[int]]:
    """The badge: unread notifications of an account (the partial index ix_notifications_unread)."""
    return select(func.count()).select_from(Notification).where(
        Notification.account_id == account_id, Notification.read_at.is_(None),
        or_(Notification.actor_id.is_(None), Notification.actor_id.not_in(quiet_actors(account_id))))


async def unread_notifications(session: AsyncSession, account_id: int) -> int:
    return await session.scalar(_unread_count(account_id)) or 0


async def signed_in(session: AsyncSession, token: str, account_id: int, now: datetime, *,
                    with_unread: bool = False) -> tuple[WebSession, LocalUser, int] | None:
    """The live session row of this token for this account, its user (with the account) and, ``with_unread``,
    the badge count, in one query: every studio page checks these, so they cost one round trip, not three.
    None when the session is over (ended, idle, too old) or not this account's."""
    where = web_sessions.live(token, now)
    if where is None:
        return None
    unread = _unread_count(LocalUser.account_id).scalar_subquery() if with_unread else literal(0)
    found = (await session.execute(select(WebSession, LocalUser, unread)
                                   .join(LocalUser, LocalUser.account_id == WebSession.account_id)
                                   .where(WebSession.account_id == account_id, *where))).first()
    return (found[0], found[1], found[2] or 0) if found is not None else None


async def mark_notifications_read(session: AsyncSession, account_id: int,
                                  kinds: tuple[str, ...] | None = None) -> None:
    """Mark the unread notifications of the account read (the notifications page was seen; filtered by type,
    only those of the types shown), and commit."""
    await session.execute(update(Notification).where(*_of_kind(account_id, kinds),
                                                     Notification.read_at.is_(None)).values(read_at=utcnow()))
    await session.commit()


async def create_user(
    rt: Runtime, session: AsyncSession, username: str, *, role: str = "artist", password: str | None = None,
    display_name: str = "", summary: str = "", manually_approves_followers: bool = False,
) -> LocalUser:
    """A new local actor with a fresh RSA-2048 key; the caller commits."""
    name = validate_username(rt, username)
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if await account_db.local_by_username(session, name, include_pending=True) is not None:
        raise Conflict(f"username {name!r} is taken")
    password_hash = hash_password(password) if password is not None else None
    return await _create_local(rt, session, name, rt.uris.actor(name), "Person", role, password_hash,
                               display_name=display_name, summary=summary,
                               manually_approves_followers=manually_approves_followers)


async def add_user(
    rt: Runtime, username: str, *, role: str = "artist", password: str | None = None, display_name: str = "",
    summary: str = "", manually_approves_followers: bool = False,
) -> LocalUser:
    """The use case of `fediverse user create`: create_user in a transaction of its own, committed here."""
    async with rt.sessions() as session:
        user = await create_user(rt, session, username, role=role, password=password, display_name=display_name,
                                 summary=summary, manually_approves_followers=manually_approves_followers)
        await session.commit()
    return user


async def ensure_instance_actor(rt: Runtime, session: AsyncSession) -> LocalUser:
    """The Application actor that signs our fetches; created on first start."""
    uri = rt.uris.instance_actor()
    account = await account_db.by_uri(session, uri)
    if account is not None:
        user = await account_db.local_user_by_account(session, account.id)
        assert user is not None
        return user
    user = await _create_local(rt, session, instance_username(rt), uri, "Application", "admin", None,
                               display_name=rt.settings.instance.name, manually_approves_followers=True,
                               url=f"{rt.settings.base_url}/about")
    await session.commit()
    return user


async def _create_local(
    rt: Runtime, session: AsyncSession, name: str, uri: str, actor_type: str, role: str, password_hash: str | None,
    *, display_name: str = "", summary: str = "", manually_approves_followers: bool = False, url: str | None = None,
) -> LocalUser:
    key = await rt.run_in_pool(generate_private_key)
    uris = rt.uris
    account = Account(
        uri=uri, handle=name, username=name, domain=None, actor_type=actor_type, display_name=display_name,
        summary=summary, url=url or uris.profile(name), inbox_url=uris.inbox(uri), outbox_url=uris.outbox(uri),
        shared_inbox_url=uris.shared_inbox(), followers_url=uris.followers(uri), following_url=uris.following(uri),
        featured_url=uris.featured(uri), key_id=uris.key_id(uri), public_key_pem=public_key_pem(key),
        manually_approves_followers=manually_approves_followers, discoverable=actor_type == "Person",
        indexable=False, fields=[],
    )
    user = LocalUser(account=account, role=role, private_key_pem=private_key_to_pem(key), password_hash=password_hash)
    session.add_all([account, user])
    await session.flush()
    return user
