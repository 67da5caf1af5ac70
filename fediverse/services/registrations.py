"""Sign-ups: which mode applies, what a sign-up must satisfy, and the approval queue.

Modes (`registrations.mode`, read at request time): open (usable at once), approval (waits for a moderator;
the default), invite (only with a usable invite code), closed. A usable invite lets its holder in at once in
every mode but closed, as Mastodon's invites do. Checks that need the database live here (mode, invite,
e-mail domain, daily cap); the form-level defences (honeypot, fill time, proof of work, per-IP limit) live in
the web layer, which runs them first because they are cheap.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.models import Account, AuditLog, LocalUser, utcnow
from fediverse.services import accounts, email_blocks, invites, modlog, site_settings

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

MAX_REASON = 2000
MAX_MESSAGE = 2000
AUTO_APPROVAL_ACTION = "registrations.auto_approval"
SIGNUP_LOCK_KEY = 0x5167_6E55  # any constant of our own, for pg_advisory_xact_lock


class Refused(Exception):
    """A sign-up this instance does not take now, with the HTTP status and a sentence for the person."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Application:
    """What the sign-up form sent, already read from the request."""

    username: str
    email: str
    password: str
    password_confirm: str
    accepted_rules: bool
    reason: str = ""
    invite_code: str = ""
    ip: str = "unknown"


def rules(rt: Runtime) -> list[str]:
    return [line.strip() for line in rt.settings.instance.rules.splitlines() if line.strip()]


def reason_required(rt: Runtime, invite_given: bool) -> bool:
    reg = rt.settings.registrations
    return reg.mode == "approval" and reg.require_reason and not invite_given


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


async def signups_today(session: AsyncSession, now: datetime | None = None) -> int:
    """Sign-ups (accounts made through the form, pending or not) since midnight UTC, from the database, so
    the cap holds across processes and restarts. Rejected ones are deleted and so stop counting."""
    start = day_start(now or utcnow())
    return await session.scalar(select(func.count()).select_from(LocalUser).where(
        LocalUser.signup_ip.is_not(None), LocalUser.created_at >= start)) or 0


async def register(rt: Runtime, session: AsyncSession, app: Application) -> LocalUser:
    """Create the account the application asks for and commit it, or raise Refused / Invalid / Conflict with
    nothing committed (the caller rolls back)."""
    reg = rt.settings.registrations
    if reg.mode == "closed":
        raise Refused(403, "Sign-ups are closed on this instance.")
    invite = await invites.find_usable(session, app.invite_code) if app.invite_code else None
    if app.invite_code and invite is None:
        raise Refused(403, "This invite link is not valid: it may have expired, been used up or been revoked. "
                           "Ask whoever invited you for a new one.")
    if reg.mode == "invite" and invite is None:
        raise Refused(403, "Sign-ups on this instance need an invite link from a member.")
    username = accounts.validate_username(rt, app.username)
    domain = email_blocks.email_domain(app.email)
    if await email_blocks.blocking(session, domain) is not None:
        raise Invalid(f"Sign-ups with e-mail addresses at {domain} are not accepted here. Use another address.")
    email = app.email.strip()[:320]
    if await session.scalar(select(LocalUser.account_id).where(func.lower(LocalUser.email) == email.lower())):
        raise Invalid("An account with this e-mail address already exists here. Log in instead.")
    if app.password != app.password_confirm:
        raise Invalid("The two passwords are not the same.")
    if rules(rt) and not app.accepted_rules:
        raise Invalid("Please read the rules and tick “I accept the rules” to sign up.")
    reason = app.reason.strip()[:MAX_REASON]
    if reason_required(rt, invite is not None) and not reason:
        raise Invalid("Please tell the moderators why you want to join; they read it before approving you.")
    now = rt.clock.now()  # the day the cap counts in; the account's creation time below is the same moment
    if reg.daily_cap:
        await _one_signup_at_a_time(session)
        if await signups_today(session, now) >= reg.daily_cap:
            raise _cap_reached(now)
    if invite is not None and not await invites.use(session, invite):
        raise Refused(403, "This invite link has just been used up. Ask for a new one.")
    try:
        user = await accounts.create_user(rt, session, username, password=app.password)
    except IntegrityError:  # the same name sent twice at the same moment: the second loses (caller rolls back)
        raise Conflict(f"username {username!r} is taken") from None
    user.email = email
    user.approved = reg.mode == "open" or invite is not None
    user.signup_reason = reason
    user.signup_ip = app.ip[:64] or "unknown"
    user.created_at = now
    user.invite_id = invite.id if invite is not None else None
    await session.flush()
    if reg.daily_cap and await signups_today(session, now) > reg.daily_cap:
        raise _cap_reached(now)  # another sign-up committed meanwhile took the last place: the caller rolls back
    await session.commit()
    return user


async def _one_signup_at_a_time(session: AsyncSession) -> None:
    """On PostgreSQL, a transaction lock so concurrent sign-ups count one after another (SQLite serialises
    writers by itself; the re-count after the insert covers what is left)."""
    if (await session.connection()).dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SIGNUP_LOCK_KEY})


def _cap_reached(now: datetime) -> Refused:
    tomorrow = day_start(now) + timedelta(days=1)
    return Refused(429, "This instance has taken all the sign-ups it accepts today. Please try again tomorrow.",
                   retry_after=max(1, int((tomorrow - now).total_seconds())))


# --- the approval queue ------------------------------------------------------------------------------------

async def pending(session: AsyncSession, limit: int = 200) -> list[LocalUser]:
    return list((await session.scalars(select(LocalUser).where(LocalUser.approved.is_(False))
                                       .order_by(LocalUser.created_at, LocalUser.account_id).limit(limit))).all())


async def _pending_user(session: AsyncSession, account_id: int) -> LocalUser:
    user = await session.scalar(select(LocalUser).where(LocalUser.account_id == account_id,
                                                        LocalUser.approved.is_(False)))
    if user is None:
        raise NotFound("This sign-up is no longer waiting (someone else may have handled it already).")
    return user


async def approve(session: AsyncSession, staff: LocalUser, account_id: int, message: str = "") -> LocalUser:
    """Let a pending sign-up in; audited and committed."""
    user = await _pending_user(session, account_id)
    user.approved = True
    modlog.record(session, staff, "signup.approve", "account", f"@{user.account.username}",
                  message[:MAX_MESSAGE], email=user.email or "")
    await session.commit()
    return user


async def reject(session: AsyncSession, staff: LocalUser, account_id: int, message: str = "") -> str:
    """Reject one pending sign-up and commit; the username it had."""
    name = await _reject(session, staff, account_id, message)
    await session.commit()
    return name


async def _reject(session: AsyncSession, staff: LocalUser, account_id: int, message: str) -> str:
    """Delete the pending account: it was never visible or federated, so nothing remote needs telling."""
    user = await _pending_user(session, account_id)
    name = user.account.username
    modlog.record(session, staff, "signup.reject", "account", f"@{name}", message[:MAX_MESSAGE],
                  email=user.email or "", signup_reason=user.signup_reason[:500])
    await session.execute(delete(LocalUser).where(LocalUser.account_id == account_id))
    await session.execute(delete(Account).where(Account.id == account_id))
    session.expunge(user.account)
    session.expunge(user)
    return name


async def reject_from_address(session: AsyncSession, staff: LocalUser, ip: str, message: str = "") -> list[str]:
    """A sign-up wave in one go: reject every pending sign-up made from `ip` (each audited on its own), in
    one commit."""
    ids = list(await session.scalars(select(LocalUser.account_id).where(
        LocalUser.approved.is_(False), LocalUser.signup_ip == ip)))
    if not ip or not ids:
        raise NotFound("No sign-up from that address is waiting.")
    names = [await _reject(session, staff, account_id, message) for account_id in ids]
    await session.commit()
    return names


def waves(pending_users: list[LocalUser]) -> list[tuple[str, int]]:
    """Addresses with more than one pending sign-up, most first: what a bulk rejection is offered for."""
    counts = Counter(u.signup_ip for u in pending_users if u.signup_ip)
    return [(ip, n) for ip, n in counts.most_common() if n > 1]


# --- falling back to approval when nobody moderates --------------------------------------------------------

async def _idle_since(session: AsyncSession) -> datetime | None:
    """The last staff action, or when the first staff account was made; None when there is no staff at all."""
    last = await modlog.last_staff_action_at(session)
    if last is not None:
        return last
    return await session.scalar(select(func.min(LocalUser.created_at)).join(LocalUser.account).where(
        LocalUser.role.in_(("moderator", "admin")), Account.actor_type != "Application"))


async def check_auto_approval(rt: Runtime) -> bool:
    """Switch open sign-ups to approval when no moderator or admin acted for `auto_approval_after_hours`.

    Runs on every sign-up request and in the job backends' housekeeping, so it never waits for a moderator
    to visit. An open instance without any moderator or admin account switches at once. Saved like a panel change (every process picks it up) and logged as a system action.
    """
    hours = rt.settings.registrations.auto_approval_after_hours
    if rt.settings.registrations.mode != "open" or hours <= 0:
        return False
    async with rt.sessions() as session:
        base = rt.file_settings or rt.settings
        try:
            current = site_settings.overlay(base, await site_settings.stored(session))
        except Invalid:  # a stored row made invalid by a later file edit: the file wins, as in refresh
            current = base
        if current.registrations.mode != "open":  # another process switched already
            site_settings.apply(rt, current)
            return False
        since = await _idle_since(session)
        if since is not None and utcnow() - since < timedelta(hours=hours):
            return False
        new_settings = await site_settings.save_if_still(rt, session, "registrations.mode", expected="open",
                                                         value="approval")
        if new_settings is None:  # another request or process switched between our read and our write
            await session.rollback()
            await site_settings.refresh(rt)
            return False
        modlog.record(session, None, AUTO_APPROVAL_ACTION, "setting", "registrations.mode",
                      f"no moderator or admin acted for {hours} hours", previous="open", new="approval",
                      last_staff_action=since.isoformat() if since else None)
        try:
            await session.commit()
        except IntegrityError:  # another request or process switched at the same moment: take its result
            await session.rollback()
            await site_settings.refresh(rt)
            return False
    site_settings.apply(rt, new_settings)
    return True


async def last_auto_switch(session: AsyncSession) -> AuditLog | None:
    return await session.scalar(select(AuditLog).where(AuditLog.action == AUTO_APPROVAL_ACTION)
                                .order_by(AuditLog.id.desc()).limit(1))
