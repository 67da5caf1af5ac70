"""The remote media cache: fetch a remote note's images, read the consent signals they carry, re-serve them.

Why: a remote artist's refusal lives not only in the note's JSON but in the media response's headers
(X-Robots-Tag, tdm-reservation, Content-Usage, Link rel=license) and in the file's XMP. We can only honour and
re-emit those if we fetch the file ourselves (consent doc §16). So, after an inbound Create/Update of a note
we keep, each image attachment gets a ``RemoteMedia`` row and a background job that

1. fetches it through the runtime's SafeClient (address guard, time-outs, ``[media] max_remote_bytes``),
2. sniffs and probes the bytes (only image types we decode; pixel caps against bombs),
3. reads the headers and the XMP with the pure parsers and combines them with the note's (and so the
   author's) stored signals: any disallow wins, provenance kept per scope,
4. derives one re-encoded copy with *our* XMP stamp of the combined record written into it, and stores it
   under ``remote/`` in the media store.

Failures are recorded on the row (``fetch_error``), never raised. Copies unused for
``[media] remote_cache_retention_days`` are purged (sweeper, CLI, admin panel); the row stays, so a purged
item is fetched again the next time it is needed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.parse_note import media_attachments
from fediverse.config import Settings
from fediverse.consent import ConsentRecord, InboundSignals, combine, signals_from_headers, signals_from_xmp
from fediverse.consent import xmp_packet
from fediverse.db import domain_policy
from fediverse.db import remote_media as media_db
from fediverse.db.audience import may_see
from fediverse.errors import Invalid, RemoteError
from fediverse.federation.actors import remote_record, signals_from_json, signals_to_json, stored_note_signals
from fediverse.federation.client import Unreachable
from fediverse.imaging import EXTENSION_OF_MIME, ImageRejected, probe
from fediverse.jobs.kinds import FetchRemoteMedia
from fediverse.jobs.outcome import Done, Outcome, Retry
from fediverse.jobs.queue import enqueue
from fediverse.models import STAFF_ROLES, Account, LocalUser, RemoteMedia, RemoteNote, utcnow
from fediverse.services.consent import instance_policy_url, instance_record
from fediverse.services.works import derive_renditions, store_for

if TYPE_CHECKING:
    from fediverse.activitypub.uris import Uris
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.remote_media")
PURGE_BATCH = 500
REFETCH_FAILED_AFTER = timedelta(hours=1)  # a failed file is not fetched again on request before this
TOUCH_EVERY = timedelta(hours=1)  # last_used_at is written at most this often per file (no write per request)
MAX_ERROR = 1000
SERVED_EXTENSIONS = frozenset(EXTENSION_OF_MIME.values())  # what a stored copy can be


# --- scheduling ------------------------------------------------------------------------------------------

async def schedule_for_note(rt: Runtime, session: AsyncSession, note: RemoteNote, author: Account) -> int:
    """A row per image attachment of ``note`` and a fetch job each (in the caller's transaction).

    Called after a stored Create and after an applied Update: the job reads the headers and XMP again, so a
    changed signal replaces the old one. The same URL shared by several notes is one row (one copy). Copies of
    attachments an edit removed (or replaced by re-stamped files at new URLs) are deleted."""
    await session.flush()
    refs = media_attachments(note.raw)
    await _release(rt, session, [row for row in await media_db.owned_by(session, note_id=note.id, account_id=None)
                                 if row.url not in {ref.url for ref in refs}])
    queued = 0
    for ref in refs:
        row = await media_db.claim(session, ref.url, account_id=note.account_id, note_id=note.id)
        if row.note_id is None:
            row.note_id = note.id
        enqueue(session, FetchRemoteMedia(row.id))
        queued += 1
    return queued + await schedule_for_account(session, author)


async def schedule_for_account(session: AsyncSession, account: Account) -> int:
    """The remote author's avatar and header, once per URL (a new picture is a new URL): their files' own
    signals are read, combined with the actor's."""
    queued = 0
    for url in (account.icon_url, account.image_url):
        if account.is_local or not url or not url.startswith(("https://", "http://")) or len(url) > 2048:
            continue
        row_id = await media_db.insert_new(session, url, account_id=account.id)
        if row_id is None:  # known already (or stored by a job running beside this one)
            continue
        enqueue(session, FetchRemoteMedia(row_id))
        queued += 1
    return queued


# --- the consent record of a cached file -----------------------------------------------------------------

def _parent_signals(note: RemoteNote | None, account: Account | None) -> tuple[str, InboundSignals]:
    if note is not None:
        return "note", stored_note_signals(note)
    if account is not None:
        return "actor", signals_from_json(account.consent)
    return "none", InboundSignals()


def media_signals(row: RemoteMedia, note: RemoteNote | None, account: Account | None) -> InboundSignals:
    """What the file said (stored at fetch time) combined with what its note and author say *now*, so a
    refusal that arrives later by Update(Note) or Update(Person) applies at once."""
    return combine(signals_from_json(row.consent), _parent_signals(note, account)[1])


def media_record(settings: Settings, signals: InboundSignals) -> ConsentRecord:
    return remote_record(signals, instance_record(settings))


def policy_url(uris: Uris, signals: InboundSignals) -> str:
    """The remote author's TDM policy when they named one, else our instance's (what applies here)."""
    return signals.tdm_policy or instance_policy_url(uris)


def stamp_for(record: ConsentRecord, account: Account | None) -> bytes:
    """Our XMP packet for the derivative; a remote name or URL we cannot embed safely is left out."""
    creator = (account.display_name or account.username) if account is not None else None
    profile = (account.url or account.uri) if account is not None else None
    try:
        return xmp_packet(record, creator=creator, profile_url=profile)
    except Invalid:
        return xmp_packet(record)


# --- fetching --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cached:
    """What storing one stamped copy produced: its storage key, type, size and the combined consent record
    (file headers and XMP folded with the note's or actor's signals) it is served with."""

    key: str
    content_type: str
    size: int
    consent: dict[str, Any]


async def _fetch_and_stamp(rt: Runtime, row: RemoteMedia, note: RemoteNote | None, account: Account | None) -> Cached:
    """Fetch, check, read signals, derive the stamped copy and store it; raises RemoteError/Invalid."""
    media = rt.settings.media
    fetched = await rt.client.fetch_file(row.url, max_bytes=media.max_remote_bytes)
    declared = fetched.headers.get("content-type", "").split(";")[0].strip().lower()
    probed = await rt.run_image_work(lambda: probe(fetched.body, max_bytes=media.max_remote_bytes,
                                                max_pixels=media.max_pixels, declared_mime=declared))
    scope, parent = _parent_signals(note, account)
    consent = signals_to_json([("media http", signals_from_headers(fetched.headers)),
                               ("media xmp", signals_from_xmp(probed.xmp)), (scope, parent)])
    signals = signals_from_json(consent)
    record = media_record(rt.settings, signals)
    packet = stamp_for(record, account)
    derived = await rt.run_image_work(derive_renditions, fetched.body, probed, rt, packet)
    large = derived.rendition("large")
    key = store_for(rt).put_remote(large.data, large.ext)
    return Cached(key, large.mime, len(large.data), consent)


async def fetch(rt: Runtime, media_id: int) -> Outcome:
    """The job: cache one remote file. Permanent failures are recorded and done; unreachable ones retried."""
    async with rt.sessions() as session:
        row = await session.get(RemoteMedia, media_id)
        if row is None:
            return Done("remote media row is gone")
        note = await session.get(RemoteNote, row.note_id) if row.note_id else None
        account = await session.get(Account, row.account_id) if row.account_id else None
        rejected = await domain_policy.media_rejected(session, urlsplit(row.url).hostname)
    if rejected:  # a domain block with reject_media: nothing is fetched from there
        result: Cached | str = "media from this domain is rejected by a domain block"
        outcome: Outcome = Done("not cached: media from this domain is rejected")
    else:
        result, outcome = await _attempt(rt, row, note, account)
    async with rt.sessions() as session:
        if isinstance(result, Cached):
            await _record_success(rt, session, media_id, result)
        else:
            await _record_failure(session, media_id, result)
        await session.commit()
    return outcome


async def _attempt(rt: Runtime, row: RemoteMedia, note: RemoteNote | None,
                   account: Account | None) -> tuple[Cached | str, Outcome]:
    """The stored copy or the error message to record, and the job's outcome."""
    try:
        cached = await _fetch_and_stamp(rt, row, note, account)
    except Exception as exc:  # noqa: BLE001 - a hostile file (any decoder error) is recorded, never raised
        if not isinstance(exc, (RemoteError, Invalid, ImageRejected)):
            log.warning("remote media %s: unexpected %s", row.id, type(exc).__name__, exc_info=True)
        message = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        return message, Retry(message) if isinstance(exc, Unreachable) else Done(f"not cached: {message}")
    return cached, Done(f"cached {cached.size} bytes")


async def _record_failure(session: AsyncSession, media_id: int, message: str) -> None:
    """In the caller's transaction (fetch commits)."""
    row = await session.get(RemoteMedia, media_id)
    if row is not None:
        row.fetch_error = message
        row.fetched_at = utcnow()


async def _record_success(rt: Runtime, session: AsyncSession, media_id: int, cached: Cached) -> None:
    """In the caller's transaction (fetch commits). A replaced file is removed before the commit: should it roll
    back, the row still names the old file, finds it missing and fetches again (as `forget` explains)."""
    row = await session.get(RemoteMedia, media_id)
    if row is None:
        return
    old = row.storage_key
    now = utcnow()
    row.storage_key, row.content_type, row.size = cached.key, cached.content_type, cached.size
    row.consent, row.fetch_error, row.fetched_at = cached.consent, None, now
    row.last_used_at = row.last_used_at or now
    await session.flush()
    if old and old != cached.key and not await media_db.key_in_use(session, old, besides=row.id):
        store_for(rt).delete_remote(old)


def name_fits(row: RemoteMedia, name: str) -> bool:
    """Is ``name`` the file name we serve this row under (``file.<ext>`` of the stored copy)? Before the first
    fetch the type is unknown, so only ``file.`` + an image extension fits; anything else never causes a fetch."""
    if row.storage_key:
        return name == f"file.{row.storage_key.rpartition('.')[2]}"
    if row.content_type:
        return name == f"file.{EXTENSION_OF_MIME.get(row.content_type, '')}"
    return name.startswith("file.") and name[5:] in SERVED_EXTENSIONS


class FetchLocks:
    """One fetch per remote media id at a time in this process (ensure_cached), one per Runtime. A lock lives
    while a request holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, media_id: int) -> asyncio.Lock:
        """The lock for fetching this id."""
        lock = self._locks.get(media_id)
        if lock is None:
            lock = self._locks[media_id] = asyncio.Lock()
        return lock


async def ensure_cached(rt: Runtime, media_id: int, name: str | None = None) -> RemoteMedia | None:
    """The row with a stored copy, fetching it again first if it was purged (Mastodon's media proxy does
    the same on demand); None when there is no such row, ``name`` is not its file name, or the fetch fails
    (the failure is recorded). Concurrent requests for one id wait for a single fetch."""
    async with rt.sessions() as session:
        row = await session.get(RemoteMedia, media_id)
    if row is None or (name is not None and not name_fits(row, name)):
        return None
    if row.storage_key and store_for(rt).open_remote(row.storage_key) is not None:
        return row
    async with rt.media_fetches.lock(media_id):
        async with rt.sessions() as session:
            row = await session.get(RemoteMedia, media_id)  # another request may have fetched it meanwhile
        if row is None:
            return None
        if row.storage_key and store_for(rt).open_remote(row.storage_key) is not None:
            return row
        if row.fetch_error and row.fetched_at and utcnow() - row.fetched_at < REFETCH_FAILED_AFTER:
            return None  # a request must not make us hammer a server that just failed (or refused) us
        await fetch(rt, media_id)
        async with rt.sessions() as session:
            row = await session.get(RemoteMedia, media_id)
    return row if row is not None and row.storage_key else None


@dataclass(frozen=True)
class Found:
    """A cached file someone may see: its row id, and whether everyone may (else: only that person)."""

    media_id: int
    listed: bool


async def find_for(rt: Runtime, token: str, user: LocalUser | None) -> Found | None:
    """The file named ``token`` if ``user`` (None: signed out) may see it, else None (the caller says 404).

    Avatars and headers are public; a note's attachment is as visible as its note (db/audience.py), and staff
    see every one (reports show them)."""
    async with rt.sessions() as session:
        row = await media_db.by_token(session, token)
        if row is None:
            return None
        if row.note_id is None:
            return Found(row.id, True)
        if await may_see(session, row.note_id, None):
            return Found(row.id, True)
        if user is None or not (user.role in STAFF_ROLES or await may_see(session, row.note_id, user.account)):
            return None
    return Found(row.id, False)


async def touch(rt: Runtime, row: RemoteMedia) -> None:
    """Mark a copy as used (it is kept past the retention while people look at it). The use case of serving a
    copy (web/remote_media.py calls it after ensure_cached), so it commits its own write."""
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < TOUCH_EVERY:
        return
    async with rt.sessions() as session:
        fresh = await session.get(RemoteMedia, row.id)
        if fresh is not None:
            fresh.last_used_at = now
            await session.commit()


# --- purging ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Purged:
    files: int
    bytes: int


async def purge(rt: Runtime, session: AsyncSession, *, older_than_days: int | None) -> Purged:
    """Delete cached copies unused for ``older_than_days`` (all of them when None); rows stay for re-fetching.

    The caller commits (the admin panel records the action in the same transaction)."""
    if older_than_days is not None and older_than_days < 0:
        raise Invalid("the age must be a number of days, 0 or more")
    cutoff = utcnow() - timedelta(days=older_than_days) if older_than_days is not None else None
    store = store_for(rt)
    files = size = 0
    while True:
        rows = await media_db.stored_unused_since(session, cutoff, limit=PURGE_BATCH)
        if not rows:
            break
        for row in rows:
            key, row.storage_key = row.storage_key, None
            size += row.size
            row.size = 0
            files += 1
            await session.flush()
            if key and not await media_db.key_in_use(session, key, besides=row.id):
                store.delete_remote(key)
        if len(rows) < PURGE_BATCH:
            break
    return Purged(files, size)


async def purge_unused(rt: Runtime, *, older_than_days: int | None) -> Purged:
    """The purge as a use case of its own (`fediverse media purge-remote`, the sweeper): one committed
    transaction."""
    async with rt.sessions() as session:
        result = await purge(rt, session, older_than_days=older_than_days)
        await session.commit()
    return result


async def purge_expired(rt: Runtime) -> Purged:
    """The periodic purge per ``[media] remote_cache_retention_days`` (0: every copy goes at each sweep)."""
    return await purge_unused(rt, older_than_days=rt.settings.media.remote_cache_retention_days)


async def forget(rt: Runtime, session: AsyncSession, *, note_id: int | None = None,
                 account_id: int | None = None) -> int:
    """Delete the cached copies (files and rows) of a deleted note or actor, before the row that owns them goes.

    A file is removed before the commit: should the transaction roll back, the row that still names it finds
    the file missing and fetches it again, so nothing is left half-written."""
    rows = await media_db.owned_by(session, note_id=note_id, account_id=account_id)
    await _release(rt, session, rows)
    return len(rows)


async def _release(rt: Runtime, session: AsyncSession, rows: list[RemoteMedia]) -> None:
    store = store_for(rt)
    for row in rows:
        key = row.storage_key
        await session.delete(row)
        await session.flush()
        if key and not await media_db.key_in_use(session, key, besides=row.id):
            store.delete_remote(key)


def local_path(token: str, ext: str) -> str:
    """Where we serve a cached copy: ``/media/remote/<token>/file.<ext>`` (never the guessable row id)."""
    return f"/media/remote/{token}/file.{ext}"


def local_url(uris: Uris, row: RemoteMedia) -> str | None:
    if not row.storage_key:
        return None
    return uris.base + local_path(row.token, row.storage_key.rpartition(".")[2])

