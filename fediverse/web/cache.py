"""A cache of rendered response bytes for the documents everyone fetches: rendered once, served as bytes.

What is stored (GET only, 200, no Set-Cookie, request without Cookie/Authorization/conditional/Range headers):
- ActivityStreams documents asked for with an AS2 Accept header, without a query string, when authorized
  fetch is off, and only if the document is public by its own content: an actor, or an object/activity
  addressed to `as:Public` (never a collection, never a followers-only Note, whoever asked for it).
- HTML pages and feeds whose handler opted in with `tag(request, ...)` and said `Cache-Control: public`.

Invalidation, two ways:
- by tag, right after a commit in this process: a SQLAlchemy session hook on the runtime's session class maps
  each changed row to tags (a Work -> `iri:<uri>`, `work:<id>`, `account:<artist id>`; a Reaction or reply ->
  `work:<id>`; a Follow -> `account:<both ids>`; a local Account -> `iri:<uri>`, `account:<id>`; collections
  -> `collection:<id>` …) and drops every entry carrying one; a bulk ORM statement on those tables drops all.
  So services need no call of their own; writes that bypass the ORM session (raw SQL) are not seen.
- a response rendered while any invalidation happened is not stored (it may have read the old rows).
- by age: an entry lives at most TTL_SECONDS (and never longer than its max-age), which bounds staleness
  for writes made by other processes (CLI, dramatiq workers, other uvicorn workers).

Keep any response compression outside (before) this middleware, so stored bytes never depend on
Accept-Encoding. The consent headers are added outside it too (web/consent.py, the outermost middleware), so
a cached answer gets the record as it is now, and AI crawlers are refused before the cache is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fediverse.activitypub.render import AS_PUBLIC
from fediverse.db.changes import loaded_values, watch_commits
from fediverse.models import (
    Account, CollectionItem, Follow, LocalNote, LocalUser, OutboundActivity, Reaction, RemoteMedia, RemoteNote, Work,
    WorkCollection,
    WorkImage,
)
from fediverse.web.tagged_cache import CLEAR, TaggedCache

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TTL_SECONDS = 10.0
MAX_ENTRIES = 4096
MAX_ENTRY_BYTES = 512 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
TAGS_KEY = "fediverse.cache_tags"
_PENDING = "fediverse.cache_invalidations"
_ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}
_COLLECTION_TYPES = {"Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage"}
_WATCHED = (Work, WorkImage, Reaction, RemoteNote, Account, Follow, WorkCollection, CollectionItem, RemoteMedia,
            OutboundActivity, LocalUser, LocalNote)
_SKIP_REQUEST_HEADERS = {b"cookie", b"authorization", b"if-none-match", b"if-modified-since", b"range", b"if-range"}


def tag(request: Request, *tags: str) -> None:
    """Let the cache keep this response, dropped when any of these tags is invalidated."""
    found = request.scope.get(TAGS_KEY)
    if found is not None:
        found.extend(tags)


Key = tuple[str, str, bytes]  # ("ap" | "html", path, query string)


@dataclass(frozen=True)
class Stored:
    """A cached answer: its http.response.start message and its whole body."""

    start: Message
    body: bytes


ResponseCache = TaggedCache[Key, Stored]


def response_cache(ttl: float = TTL_SECONDS) -> ResponseCache:
    """At most MAX_ENTRIES answers and MAX_TOTAL_BYTES of bodies; the oldest go first."""
    return TaggedCache(ttl=ttl, max_entries=MAX_ENTRIES, max_bytes=MAX_TOTAL_BYTES, size_of=lambda s: len(s.body))


# --- invalidation from the ORM session -----------------------------------------------------------------------

# Which loaded attributes of a changed row name the pages it can change: (attribute, tag prefix) per model.
_TAGGED_IDS: tuple[tuple[type, tuple[tuple[str, str], ...]], ...] = (
    (Work, (("uri", "iri"), ("id", "work"), ("account_id", "account"))),
    (WorkImage, (("work_id", "work"),)),
    (Reaction, (("work_id", "work"),)),
    (RemoteNote, (("work_id", "work"),)),
    (Account, (("uri", "iri"), ("id", "account"))),
    (Follow, (("follower_id", "account"), ("followee_id", "account"))),
    (WorkCollection, (("id", "collection"), ("account_id", "account"))),
    (CollectionItem, (("collection_id", "collection"), ("work_id", "work"))),
)


def _tags_of(obj: Any) -> set[str]:
    values = loaded_values(obj)  # what is loaded; never triggers a lazy load inside the flush
    if isinstance(obj, RemoteMedia):
        return {"remote-media"}  # a cached copy appeared or went: pages showing remote replies link to it
    if isinstance(obj, OutboundActivity):
        return _undone(values)
    if isinstance(obj, LocalUser):
        return {"artists"}  # signed up, approved or removed: the front page's list of artists (web/front.py)
    if isinstance(obj, LocalNote):  # a local reply is listed on the page of the work it replies to
        parent = values.get("in_reply_to_uri")
        return {f"replies:{parent}"} if parent else set()
    if isinstance(obj, RemoteNote) and values.get("work_id") is None:
        return set()  # a mention that replies to no local work changes no page
    fields = next((fields for model, fields in _TAGGED_IDS if isinstance(obj, model)), None)
    if fields is None:
        return set()
    found = [(prefix, values.get(name)) for name, prefix in fields]
    if any(not value for _, value in found):
        return {CLEAR}  # an id we could not see: be safe
    tags = {f"{prefix}:{value}" for prefix, value in found}
    if isinstance(obj, (Work, WorkImage)):
        tags.add("works")  # the front page's grid of recent works (web/front.py)
    if isinstance(obj, Account) and "domain" in values and values["domain"] is None:
        tags.add("artists")  # a local account's name or standing: the front page's list of artists
    return tags




def _undone(values: dict[str, Any]) -> set[str]:
    """An Undo we send drops the cached copy of the activity it undoes (a boost served at its id)."""
    if values.get("type") != "Undo" or not isinstance(values.get("body"), bytes):
        return set()
    try:
        inner = orjson.loads(values["body"]).get("object")
    except (orjson.JSONDecodeError, AttributeError):
        return set()
    inner_id = inner.get("id") if isinstance(inner, dict) else inner
    return {f"iri:{inner_id}"} if isinstance(inner_id, str) else set()


def install_invalidation(session_class: type[Session], cache: ResponseCache) -> None:
    """Drop cached bytes for the rows a transaction changed, once it commits."""
    watch_commits(session_class, pending_key=_PENDING, watched=_WATCHED, tags_of=_tags_of, bulk_tag=CLEAR,
                  invalidate=cache.invalidate)


# --- the middleware ----------------------------------------------------------------------------------------

def _public_document(body: bytes) -> tuple[str, ...] | None:
    """Tags for an AS2 document that anyone may see, or None when it must not be shared."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        return None
    kind = doc.get("type")
    if kind in _COLLECTION_TYPES or not isinstance(kind, str):
        return None
    audience = [*_as_list(doc.get("to")), *_as_list(doc.get("cc"))]
    is_actor = kind in _ACTOR_TYPES and "inbox" in doc
    if not is_actor and AS_PUBLIC not in audience:
        return None
    tags = [f"iri:{doc['id']}"]
    inner = doc.get("object")
    if isinstance(inner, dict) and isinstance(inner.get("id"), str):
        tags.append(f"iri:{inner['id']}")
    return tuple(tags)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _max_age(headers: list[tuple[bytes, bytes]]) -> tuple[float | None, bool]:
    """(max-age, public) from Cache-Control."""
    for name, value in headers:
        if name == b"cache-control":
            directives = [d.strip() for d in value.decode("latin-1").lower().split(",")]
            if "no-store" in directives or "private" in directives:
                return 0.0, False
            age = next((d.split("=", 1)[1] for d in directives if d.startswith("max-age=")), None)
            return (float(age) if age and age.isdigit() else None), "public" in directives
    return None, False


class ResponseCacheMiddleware:
    """Pure ASGI: answers from the cache before routing, stores eligible responses on the way out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cache = response_cache()
        self._runtime: Any = None
        self._settings: Any = None

    def _bind(self, scope: Scope) -> Any:
        """The runtime is created at startup: hook its session class on first use (again after a restart)."""
        rt = getattr(scope["app"].state, "runtime", None)
        if rt is not None and rt is not self._runtime:
            self._runtime = rt
            self.cache.clear()
            scope["app"].state.response_cache = self.cache  # hits and misses for /metrics
            session_class = rt.sessions.kw.get("sync_session_class")
            if session_class is not None:
                install_invalidation(session_class, self.cache)
        if rt is not None and rt.settings is not self._settings:
            # Instance settings changed (admin panel): pages rendered with the old name, rules… must go.
            self._settings = rt.settings
            self.cache.clear()
        return rt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or "app" not in scope:
            await self.app(scope, receive, send)
            return
        accept = b""
        for name, value in scope["headers"]:
            if name in _SKIP_REQUEST_HEADERS:
                await self.app(scope, receive, send)
                return
            if name == b"accept":
                accept = value
        activitypub = b"application/activity+json" in accept.lower() or b"application/ld+json" in accept.lower()
        rt = self._bind(scope)
        if rt is None or (activitypub and (scope["query_string"] or rt.settings.federation.authorized_fetch)):
            await self.app(scope, receive, send)
            return
        key = ("ap" if activitypub else "html", scope["path"], scope["query_string"])
        entry = self.cache.get(key)
        if entry is not None:
            await send(entry.start)
            await send({"type": "http.response.body", "body": entry.body, "more_body": False})
            return
        await self._fill(scope, receive, send, key, activitypub)

    async def _fill(self, scope: Scope, receive: Receive, send: Send, key: Key, activitypub: bool) -> None:
        tags: list[str] = []
        scope[TAGS_KEY] = tags
        generation = self.cache.generation
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = message
                keep = message["status"] == 200 and not any(n == b"set-cookie" for n, _ in message.get("headers", ()))
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_ENTRY_BYTES:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and keep and start is not None \
                        and generation == self.cache.generation:
                    self._store(key, start, b"".join(chunks), tags, activitypub)
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, key: Key, start: Message, body: bytes, tags: list[str], activitypub: bool) -> None:
        headers = list(start.get("headers", ()))
        content_type = next((v for n, v in headers if n == b"content-type"), b"")
        max_age, public = _max_age(headers)
        if activitypub:
            if not content_type.startswith(b"application/activity+json"):
                return
            found = _public_document(body)
            if found is None:
                return
            tags = [*tags, *found]
        elif not tags or not public:
            return
        if max_age == 0.0 and not public:
            return  # no-store / private
        # HTML is marked `public, max-age=0` for browsers (an artist sees an edit at once); here it lives TTL.
        lifetime = self.cache.ttl if max_age is None or not activitypub else min(self.cache.ttl, max_age)
        if lifetime <= 0:
            return
        self.cache.put(key, Stored({"type": "http.response.start", "status": 200, "headers": headers}, body),
                       tuple(tags), lifetime=lifetime)
