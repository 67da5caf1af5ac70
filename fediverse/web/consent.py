"""Consent on every response: the headers, the <head> elements, AI crawler refusal, and the site-level files.

``ConsentMiddleware`` (pure ASGI, outermost, so answers from web/cache.py get it too) works out from the path
whose record a response serves, and adds that record's headers (X-Robots-Tag, tdm-reservation, tdm-policy,
Content-Usage, Link rel=license) to every response: pages, ActivityStreams JSON, feeds, media (GET, HEAD, 304,
206, errors alike):

==========================================  ====================================================================
path                                        record
==========================================  ====================================================================
/@name/<id>, /users/name/works/<id>[/…]     the work's (instance -> artist -> work); also its
                                            activity, likes, shares and replies
/@name/feed.atom, /@name/feed.rss           the strictest of the artist's and the feed's works' records
/@name…, /users/name…, /policies/tdm/name   the artist's
/media/name/<sha2>/<sha>.<ext>              the work whose rendition it is (strictest if the bytes belong to
                                            several works), else the artist's (avatar, header)
/users/name/boosts/<note>-<n>               the strictest of the artist's and the boosted note's
/media/remote/<token>/<name>                the cached remote file's: its headers and XMP when fetched, with
                                            its note's and author's signals now (any disallow wins)
anything else (/, /robots.txt, /actor …)    the instance's
==========================================  ====================================================================

Resolutions are kept in a small in-memory store: invalidated, like web/cache.py, by a session hook right
after a commit that changed an Account, Work or WorkImage in this process, and at most TTL_SECONDS old otherwise
(changes made by another process: CLI, workers). The resolved record is left in the scope, where templates
read it (``consent_head(request)`` in base.html) so every page's <head> matches its headers.

AI crawlers (``fediverse.consent.is_ai_crawler``) asking for an artist's pages, documents, feeds or media get
403 with a short text when that artist's record refuses them (training refused or no AI input), unless
``[consent] refuse_ai_crawlers = false``. The site files and policy documents (web/site_files.py, which keeps
them in the same store) stay readable: they are how a crawler learns the rules.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from markupsafe import Markup
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fediverse.consent import ConsentRecord, html_head_markup, http_headers, is_ai_crawler
from fediverse.db import remote_media as remote_media_db
from fediverse.db.changes import loaded_values, watch_commits
from fediverse.db import works as work_db
from fediverse.federation.actors import remote_record, stored_note_signals
from fediverse.models import Account, RemoteMedia, RemoteNote, Work, WorkImage
from fediverse.runtime import Runtime
from fediverse.services import consent as consent_service
from fediverse.services import remote_media
from fediverse.web.context import runtime_of
from fediverse.web.feeds import FEED_SIZE
from fediverse.web.tagged_cache import CLEAR, TaggedCache
from fediverse.web.templating import templates

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("fediverse.consent")

TTL_SECONDS = 10.0
MAX_ENTRIES = 8192
CONSENT_KEY = "fediverse.consent"
STORE_KEY = "fediverse.consent_store"
_PENDING = "fediverse.consent_invalidations"
_WATCHED = (Account, Work, WorkImage, RemoteMedia, RemoteNote)
_OUR_HEADERS = {b"x-robots-tag", b"tdm-reservation", b"tdm-policy", b"content-usage"}
# A page showing several artists' works (the front page) may ask for more robots directives than its own record
# gives, never fewer: it names them in this internal header, which is merged into X-Robots-Tag and not sent.
ROBOTS_ADD = "x-consent-robots-add"
_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_BOOST_ID = re.compile(r"^[0-9]{1,18}-[0-9]{1,9}$")
_WORK_DOCUMENTS = ("activity", "likes", "shares", "replies")  # a work's own documents carry the work's record
_MEDIA_KEY = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,63}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{1,8}$")
REFUSAL = (b"This artist does not allow AI crawlers or AI agents to fetch their pages, documents or images.\n"
           b"See /robots.txt, /.well-known/tdmrep.json and /ai.txt.\n")

Kind = Literal["instance", "account", "work", "feed", "media", "policy", "remote", "boost"]


# --- what a path serves ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    kind: Kind
    username: str = ""
    public_id: str = ""
    key: str = ""


INSTANCE = Target("instance")


def target_of(path: str) -> Target:
    """Whose record the response to this path carries (no I/O)."""
    if path.startswith("/@"):
        username, _, rest = path[2:].partition("/")
        kind: Kind = "account"
        public_id = ""
        if rest in ("feed.atom", "feed.rss"):
            kind = "feed"
        elif rest and "/" not in rest and _PUBLIC_ID.match(rest):
            kind, public_id = "work", rest
        return _scoped(kind, username, public_id)
    if path.startswith("/users/"):
        parts = path[len("/users/"):].split("/")
        if len(parts) in (3, 4) and parts[1] == "works" and (len(parts) == 3 or parts[3] in _WORK_DOCUMENTS) \
                and _PUBLIC_ID.match(parts[2]):
            return _scoped("work", parts[0], parts[2])
        if len(parts) == 3 and parts[1] == "boosts" and _BOOST_ID.match(parts[2]):
            return _scoped("boost", parts[0], parts[2])
        return _scoped("account", parts[0])
    if path.startswith("/media/remote/"):
        token = path[len("/media/remote/"):].partition("/")[0]
        return Target("remote", public_id=token) if _PUBLIC_ID.match(token) else INSTANCE
    if path.startswith("/media/"):
        key = path[len("/media/"):]
        if _MEDIA_KEY.match(key):
            return Target("media", key.partition("/")[0], key=key)
        return _scoped("account", key.partition("/")[0])  # not a public key: 404, with the artist's headers
    if path.startswith("/policies/tdm/"):
        return _scoped("policy", path[len("/policies/tdm/"):])
    return INSTANCE


def _scoped(kind: Kind, username: str, public_id: str = "") -> Target:
    if not _USERNAME.match(username):
        return INSTANCE
    return Target(kind, username.lower(), public_id)


@dataclass(frozen=True)
class Served:
    """A record as served: the headers to add, the <head> markup, and whether crawler refusal applies."""

    record: ConsentRecord
    policy_url: str
    headers: tuple[tuple[bytes, bytes], ...]
    head: str
    artist: bool  # an artist's pages, documents or media (not the instance's, not a policy document)

    @property
    def refuses_crawlers(self) -> bool:
        return self.artist and self.record.refuses_ai_crawlers


def served(record: ConsentRecord, policy: str, *, artist: bool) -> Served:
    headers = tuple((name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in http_headers(record, policy_url=policy))
    return Served(record, policy, headers, html_head_markup(record, policy_url=policy), artist)


def instance_served(rt: Runtime) -> Served:
    return served(consent_service.instance_record(rt.settings), consent_service.instance_policy_url(rt.uris),
                  artist=False)


async def resolve(rt: Runtime, target: Target) -> tuple[Served, tuple[str, ...]]:
    """The record ``target`` serves and the invalidation tags of that answer (reads the database)."""
    if target.kind == "instance":
        return instance_served(rt), ()
    if target.kind == "remote":
        return await _resolve_remote(rt, target.public_id)
    settings = rt.settings
    tags = [f"username:{target.username}"]
    async with rt.sessions() as session:
        account = await consent_service.serving_account(session, target.username)
        if account is None:
            return instance_served(rt), tuple(tags)
        tags.append(f"account:{account.id}")
        record = consent_service.for_account(settings, account)
        if target.kind == "work":
            work = await work_db.by_public_id(session, target.public_id)
            if work is not None and work.account_id == account.id:
                record = consent_service.for_work(settings, work)
                tags.append(f"work:{work.id}")
        elif target.kind == "media":
            record, work_ids = await consent_service.media_record(session, settings, account, target.key)
            tags += [f"work:{work_id}" for work_id in work_ids]
        elif target.kind == "boost":
            note = await session.get(RemoteNote, int(target.public_id.partition("-")[0]))
            if note is not None:
                boosted = remote_record(stored_note_signals(note), consent_service.instance_record(settings))
                record = consent_service.strictest([record, boosted])
                tags.append(f"remote-note:{note.id}")
        elif target.kind == "feed":
            works = await work_db.newest(session, account.id, limit=FEED_SIZE, offset=0, public_only=True)
            record = consent_service.strictest([record, *(consent_service.for_work(settings, w) for w in works)])
            tags += [f"work:{work.id}" for work in works]
        policy = consent_service.policy_url(rt.uris, account)
    return served(record, policy, artist=target.kind != "policy"), tuple(tags)


async def _resolve_remote(rt: Runtime, token: str) -> tuple[Served, tuple[str, ...]]:
    """A cached remote file: what it and its note and author said; the instance's record for unknown tokens."""
    async with rt.sessions() as session:
        row = await remote_media_db.by_token(session, token)
        if row is None:
            return instance_served(rt), ()  # tokens are random: nobody names a row before it exists
        tags = (f"remote-media:{row.id}",)
        note = await session.get(RemoteNote, row.note_id) if row.note_id else None
        account = await session.get(Account, row.account_id) if row.account_id else None
    signals = remote_media.media_signals(row, note, account)
    record = remote_media.media_record(rt.settings, signals)
    tags += (f"remote-note:{row.note_id}",) if row.note_id else ()
    tags += (f"remote-account:{row.account_id}",) if row.account_id else ()
    return served(record, remote_media.policy_url(rt.uris, signals), artist=True), tags


# --- the store and its invalidation --------------------------------------------------------------------------

ConsentStore = TaggedCache[Any, Any]  # Target -> Served; ("site", name) -> a site file's text


def consent_store(ttl: float = TTL_SECONDS) -> ConsentStore:
    """At most MAX_ENTRIES resolutions and site files; the least recently used go first."""
    return TaggedCache(ttl=ttl, max_entries=MAX_ENTRIES, refresh_on_hit=True)


def _tags_of(obj: Any) -> set[str]:
    values = loaded_values(obj)  # only what is loaded: never a lazy load inside a flush
    if isinstance(obj, RemoteMedia):
        return {f"remote-media:{values['id']}"} if values.get("id") is not None else set()
    if isinstance(obj, RemoteNote):
        return {f"remote-note:{values['id']}"} if values.get("id") is not None else set()
    if isinstance(obj, Account):
        if "domain" in values and values["domain"] is not None:
            # a remote actor: only the cached copies of its media depend on it
            return {f"remote-account:{values['id']}"} if values.get("id") is not None else set()
        account_id, username = values.get("id"), values.get("username")
        if account_id is None or not username:
            return {CLEAR}
        return {f"account:{account_id}", f"username:{str(username).lower()}", "site"}
    if isinstance(obj, Work):
        work_id, account_id = values.get("id"), values.get("account_id")
        if work_id is None or account_id is None:
            return {CLEAR}
        return {f"work:{work_id}", f"account:{account_id}"}
    if isinstance(obj, WorkImage):
        work_id = values.get("work_id")
        return {f"work:{work_id}"} if work_id is not None else {CLEAR}
    return set()


def install_invalidation(session_class: type[Session], store: ConsentStore) -> None:
    """Drop resolutions (and site files) that depend on the rows a transaction changed, once it commits."""
    watch_commits(session_class, pending_key=_PENDING, watched=_WATCHED, tags_of=_tags_of, bulk_tag=CLEAR,
                  invalidate=store.invalidate)


# --- the middleware ----------------------------------------------------------------------------------------

class ConsentMiddleware:
    """Pure ASGI: resolves the record before routing, refuses AI crawlers, adds the headers on the way out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.store = consent_store()
        self._runtime: Any = None

    def _bind(self, scope: Scope) -> Runtime | None:
        rt = getattr(scope["app"].state, "runtime", None)
        if rt is not None and rt is not self._runtime:
            self._runtime = rt
            self.store.clear()
            session_class = rt.sessions.kw.get("sync_session_class")
            if session_class is not None:
                install_invalidation(session_class, self.store)
        return rt

    async def lookup(self, rt: Runtime, target: Target) -> Served:
        try:
            return await self.store.get_or_compute(target, lambda: resolve(rt, target))
        except Exception:  # the headers must not take a page down: fall back to the instance default
            log.exception("could not resolve the consent record for %s", target)
            return instance_served(rt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "app" not in scope:
            await self.app(scope, receive, send)
            return
        rt = self._bind(scope)
        if rt is None:
            await self.app(scope, receive, send)
            return
        found = await self.lookup(rt, target_of(scope["path"]))
        scope[CONSENT_KEY] = found
        scope[STORE_KEY] = self.store
        if found.refuses_crawlers and scope["method"] in ("GET", "HEAD") \
                and consent_service.refuse_ai_crawlers(rt.settings) and is_ai_crawler(_user_agent(scope)):
            await _refuse(scope, send, found)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", ()) if n not in _OUR_HEADERS]
                extra = [v for n, v in headers if n == _ROBOTS_ADD]
                headers = [(n, v) for n, v in headers if n != _ROBOTS_ADD]
                message = {**message, "headers": [*headers, *with_robots(found.headers, extra)]}
            await send(message)

        await self.app(scope, receive, with_headers)


_ROBOTS_ADD = ROBOTS_ADD.encode()


def with_robots(headers: tuple[tuple[bytes, bytes], ...], extra: list[bytes]) -> list[tuple[bytes, bytes]]:
    """The record's headers with the page's extra robots directives merged into X-Robots-Tag (no duplicates)."""
    wanted = [d.strip() for value in extra for d in value.split(b",") if d.strip()]
    if not wanted:
        return list(headers)
    out, merged = [], False
    for name, value in headers:
        if name == b"x-robots-tag" and not merged:
            have = [d.strip() for d in value.split(b",") if d.strip()]
            value = b", ".join(dict.fromkeys([*have, *wanted]))
            merged = True
        out.append((name, value))
    if not merged:
        out.append((b"x-robots-tag", b", ".join(dict.fromkeys(wanted))))
    return out


def _user_agent(scope: Scope) -> bytes:
    return next((value for name, value in scope["headers"] if name == b"user-agent"), b"")


async def _refuse(scope: Scope, send: Send, found: Served) -> None:
    body = b"" if scope["method"] == "HEAD" else REFUSAL
    await send({"type": "http.response.start", "status": 403, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(REFUSAL)).encode()),
        (b"cache-control", b"private, no-store"), (b"vary", b"User-Agent"), *found.headers,
    ]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


# --- templates ---------------------------------------------------------------------------------------------

def served_for(request: Request) -> Served:
    """The record this request's response carries (the instance's outside the middleware, e.g. in unit tests)."""
    found = request.scope.get(CONSENT_KEY)
    return found if isinstance(found, Served) else instance_served(runtime_of(request))


def consent_head(request: Request) -> Markup:
    """meta robots, tdm-reservation, tdm-policy and link rel=license for base.html (escaped by the emitter)."""
    return Markup(served_for(request).head)


templates.env.globals["consent_head"] = consent_head
