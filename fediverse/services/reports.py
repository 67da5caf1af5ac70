"""Reports: filed by our artists, received as Flags, forwarded as Flags, resolved by moderators.

Like Mastodon (ReportService, flag.rb): a report names one account and some of its posts; a forwarded report
is a Flag from the instance actor (the reporter stays anonymous) to the reported account's inbox; an inbound
Flag becomes a report when it names an account of ours (or one of our works), once per Flag id, and is dropped
when its server's domain block rejects reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.moderation import FlagReport, render_flag
from fediverse.db import accounts as account_db
from fediverse.db import domain_policy, paging
from fediverse.db import local_notes as local_note_db
from fediverse.db import works as work_db
from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.federation.outbox import publish
from fediverse.models import Account, AuditLog, LocalNote, LocalUser, RemoteNote, Report, Work, utcnow
from fediverse.services import account_actions, modlog, threads
from fediverse.services.notes import tombstone_note
from fediverse.services.works import mark_sensitive, release_files, tombstone

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

CATEGORIES = ("spam", "legal", "violation", "other")
RESOLUTIONS = ("dismiss", "remove", "sensitive", "silence", "suspend")
MAX_COMMENT = 1000  # Mastodon's limit for local reports
MAX_POSTS = 20
MAX_REF = 2048  # an account reference or post id in the report form


@dataclass(frozen=True)
class Posts:
    """The reported posts we can still show: local works and notes, cached remote notes; the rest are ids only."""

    works: list[Work]
    notes: list[RemoteNote]
    missing: list[str]
    local_notes: list[LocalNote] = field(default_factory=list)

    @property
    def any_held(self) -> bool:
        return bool(self.works or self.notes or self.local_notes)


@dataclass(frozen=True)
class ReportDetail:
    """One report as a moderator reads it: who reported whom, the posts, and what was done about it."""

    report: Report
    target: Account | None
    reporter: Account | None
    posts: Posts
    history: list[AuditLog]


async def _remote_note(session: AsyncSession, uri: str) -> RemoteNote | None:
    return await session.scalar(select(RemoteNote).where(RemoteNote.uri == uri))


async def find_posts(session: AsyncSession, uris: list[str]) -> Posts:
    found = Posts([], [], [])
    for uri in uris:
        work = await work_db.by_uri(session, uri)
        note = None if work else await _remote_note(session, uri)
        local = None if work or note else await local_note_db.by_uri(session, uri)
        if work is not None:
            found.works.append(work)
        elif note is not None:
            found.notes.append(note)
        elif local is not None and local.deleted_at is None:
            found.local_notes.append(local)
        else:
            found.missing.append(uri)
    return found


async def _account_by_ref(session: AsyncSession, ref: str) -> Account | None:
    """An account we already know, by id URL, local username or user@domain; never looked up over the network."""
    ref = ref.strip()[:MAX_REF]
    if ref.startswith(("https://", "http://")):
        return await account_db.by_uri(session, ref)
    name = ref.lstrip("@")
    if "@" in name:
        return await account_db.remote_by_handle(session, name)
    return await account_db.local_by_username(session, name) if name else None


async def find_target(session: AsyncSession, account_ref: str, post_uri: str,
                      viewer: Account) -> tuple[Account, str | None]:
    """(reported account, reported post uri or None) from what an artist's report form names: a work, a text
    post or a stored remote post that ``viewer`` may see (a hidden one is "not known", never confirmed)."""
    if post_uri:
        status = await threads.status_by_uri(session, post_uri[:MAX_REF])
        post = await threads.visible_post(session, status.id, viewer) if status is not None else None
        if post is None:
            raise NotFound("that post is not known here")
        return post.author, post.uri
    account = await _account_by_ref(session, account_ref) if account_ref else None
    if account is None or (account.is_local and account.actor_type == "Application"):
        raise NotFound("that account is not known here")
    return account, None


async def listing(session: AsyncSession, *, closed: bool, limit: int) -> list[tuple[Report, Account]]:
    """Open reports, or the closed ones, newest first, each with the reported account."""
    stmt = select(Report, Account).join(Account, Account.id == Report.target_id)
    stmt = stmt.where(Report.state != "open") if closed else stmt.where(Report.state == "open")
    rows = await session.execute(stmt.order_by(Report.id.desc()).limit(limit))
    return [(report, account) for report, account in rows]


async def find_reports(session: AsyncSession, *, resolved: bool | None, reporter_id: int | None = None,
                       target_id: int | None = None, max_id: int | None = None, since_id: int | None = None,
                       min_id: int | None = None, limit: int = 100) -> list[Report]:
    """Reports for a moderation app (Mastodon's admin reports filters), newest first, paged by id; `resolved`
    None means open and closed alike."""
    stmt = select(Report)
    if resolved is not None:
        stmt = stmt.where(Report.state != "open") if resolved else stmt.where(Report.state == "open")
    if reporter_id is not None:
        stmt = stmt.where(Report.reporter_id == reporter_id)
    if target_id is not None:
        stmt = stmt.where(Report.target_id == target_id)
    page, reverse = paging.by_id(stmt, Report.id, max_id=max_id, since_id=since_id, min_id=min_id, limit=limit)
    found = list((await session.scalars(page)).all())
    return found[::-1] if reverse else found


async def about_account(session: AsyncSession, account_id: int, *, limit: int) -> list[Report]:
    """The latest reports naming `account_id`, newest first."""
    return list(await session.scalars(select(Report).where(Report.target_id == account_id)
                                      .order_by(Report.id.desc()).limit(limit)))


async def get(session: AsyncSession, report_id: int) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    return report


async def detail(session: AsyncSession, report_id: int) -> ReportDetail:
    report = await get(session, report_id)
    return ReportDetail(
        report=report, target=await session.get(Account, report.target_id),
        reporter=await session.get(Account, report.reporter_id) if report.reporter_id else None,
        posts=await find_posts(session, list(report.object_uris)),
        history=await modlog.about_report(session, report.id))


def _check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise Invalid(f"category must be one of {', '.join(CATEGORIES)}")
    return category


async def file_report(rt: Runtime, session: AsyncSession, reporter: LocalUser, target: Account, post_uris: list[str],
                      category: str, comment: str, *, forward: bool) -> Report:
    """A local artist's report, committed (with its forwarded Flag); the posts must be the target's. Forwarding
    applies to remote targets only."""
    _check_category(category)
    if target.id == reporter.account_id:
        raise Invalid("you cannot report yourself")
    if target.is_local and target.actor_type == "Application":
        raise Invalid("the instance actor cannot be reported")
    if len(comment) > MAX_COMMENT:
        raise Invalid(f"the comment is limited to {MAX_COMMENT} characters")
    uris = list(dict.fromkeys(u for u in post_uris if u))[:MAX_POSTS]
    posts = await find_posts(session, uris)
    if posts.missing or any(w.account_id != target.id or w.deleted_at for w in posts.works) \
            or any(n.account_id != target.id for n in [*posts.notes, *posts.local_notes]):
        raise Invalid("a reported post is unknown here or is not by the reported account")
    report = Report(reporter_id=reporter.account_id, target_id=target.id, object_uris=uris, category=category,
                    comment=comment.strip())
    session.add(report)
    await session.flush()
    if forward and not target.is_local and not await domain_policy.is_suspended(session, target.domain):
        await forward_report(rt, session, report, target)  # nothing is ever sent to a suspended domain
    await session.commit()
    return report


async def forward_report(rt: Runtime, session: AsyncSession, report: Report, target: Account) -> None:
    """Send the report to the target's server as a Flag from the instance actor (Mastodon's anonymised form)."""
    if target.is_local:
        raise Invalid("only reports about remote accounts can be forwarded")
    if await domain_policy.is_suspended(session, target.domain):
        raise Invalid(f"{target.domain} is suspended; nothing is sent there")
    instance = await account_db.by_uri(session, rt.uris.instance_actor())
    if instance is None:
        raise Conflict("the instance actor does not exist yet")
    doc = render_flag(rt.uris.new_activity(), instance.uri, target.uri, list(report.object_uris), report.comment)
    await publish(session, instance, doc, inboxes=[target.inbox_url])
    report.forwarded = True


async def receive_flag(session: AsyncSession, sender: Account, flag: FlagReport) -> str:
    """An inbound Flag -> a report about one of our accounts; the outcome string is kept on the inbox row."""
    if await domain_policy.reports_rejected(session, sender.domain):
        return f"ignored: reports from {sender.domain} are rejected by a domain block"
    if flag.id is not None and await session.scalar(select(Report.id).where(Report.flag_uri == flag.id)):
        return "ignored: this Flag was already received"
    target: Account | None = None
    posts: list[str] = []
    for uri in flag.object_uris:
        account = await account_db.by_uri(session, uri)
        work = None if account else await work_db.by_uri(session, uri)
        if account is not None and account.is_local and target is None:
            target = account
        elif work is not None and work.deleted_at is None:
            target = target or work.account
            if work.account_id == target.id:
                posts.append(work.uri)
    if target is None or target.actor_type == "Application":
        return "ignored: the Flag names no account or work of ours (not found)"
    session.add(Report(reporter_id=None, origin_domain=sender.domain, flag_uri=flag.id, target_id=target.id,
                       object_uris=posts, category="other", comment=flag.comment))
    return f"report filed about {target.handle}"


async def resolve(rt: Runtime, session: AsyncSession, staff: LocalUser, report_id: int, resolution: str,
                  note: str) -> None:
    """Close a report with one action; audited as report.resolve plus the action's own entry. Commits."""
    if resolution not in RESOLUTIONS:
        raise Invalid(f"choose one of {', '.join(RESOLUTIONS)}")
    note = account_actions.require_reason(note)
    report = await get(session, report_id)
    if report.state != "open":
        raise Conflict(f"report {report_id} is already {report.state}")
    target = await session.get(Account, report.target_id)
    assert target is not None
    posts = await find_posts(session, list(report.object_uris))
    files: list[tuple[str, str]] = []
    if resolution in ("silence", "suspend"):
        await account_actions.apply(rt, session, staff, target, resolution, note, report=report_id)
    elif resolution == "sensitive":
        await account_actions.apply(rt, session, staff, target, "sensitive", note, report=report_id)
        for work in posts.works:
            await mark_sensitive(rt, session, work)
        for remote in posts.notes:
            remote.sensitive = True
        for local in posts.local_notes:
            local.sensitive = True
    elif resolution == "remove":
        if not posts.any_held:
            raise Invalid("this report names no post that is still here to remove")
        await account_actions.check_may_act(session, staff, target)
        for work in posts.works:
            if work.deleted_at is None:
                files += await tombstone(session, work)
        for remote in posts.notes:
            await session.delete(remote)
        for local in posts.local_notes:
            await tombstone_note(rt, session, local)  # its Delete federates as the author's own would
        modlog.record(session, staff, "post.remove", "account", account_actions.handle_of(rt, target), note,
                      report=report_id, posts=[p.uri for p in [*posts.works, *posts.notes, *posts.local_notes]])
    report.state = "dismissed" if resolution == "dismiss" else "resolved"
    report.resolution = resolution
    report.resolution_note = note
    report.resolved_by_id = staff.account_id
    report.resolved_at = utcnow()
    modlog.record(session, staff, "report.resolve", "report", str(report_id), note, resolution=resolution)
    await session.commit()
    if files:
        await release_files(rt, session, files)


async def reopen(session: AsyncSession, staff: LocalUser, report_id: int, note: str) -> Report:
    """Open a closed report again (what was done about it stays done and in the log); audited, committed."""
    report = await get(session, report_id)
    if report.state == "open":
        raise Conflict(f"report {report_id} is already open")
    previous = report.state
    report.state = "open"
    report.resolution = None
    report.resolved_by_id = None
    report.resolved_at = None
    modlog.record(session, staff, "report.reopen", "report", str(report_id), note, previous=previous)
    await session.commit()
    return report


# Who handles a report: the latest report.assign / report.unassign entry in the audit log says (the log is the
# record of staff work, so assignment needs no column of its own).
ASSIGN, UNASSIGN = "report.assign", "report.unassign"


async def assign(session: AsyncSession, staff: LocalUser, report_id: int, *, to_self: bool) -> Report:
    """Take a report (`to_self`) or let it go; audited, committed."""
    report = await get(session, report_id)
    modlog.record(session, staff, ASSIGN if to_self else UNASSIGN, "report", str(report_id),
                  assignee=staff.account_id if to_self else None)
    await session.commit()
    return report


async def assignees(session: AsyncSession, report_ids: list[int]) -> dict[int, int]:
    """Report id -> the account id of the staff member handling it (reports nobody handles are left out)."""
    if not report_ids:
        return {}
    rows = await session.execute(select(AuditLog.target, AuditLog.action, AuditLog.actor_id).where(
        AuditLog.target_type == "report", AuditLog.action.in_((ASSIGN, UNASSIGN)),
        AuditLog.target.in_([str(i) for i in report_ids])).order_by(AuditLog.id))
    latest: dict[int, int | None] = {}
    for target, action, actor_id in rows:
        latest[int(target)] = actor_id if action == ASSIGN else None
    return {rid: aid for rid, aid in latest.items() if aid is not None}
