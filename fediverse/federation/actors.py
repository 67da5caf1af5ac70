"""Remote actors and their keys: fetch (signed by the instance actor), parse, cache as Account rows.

Consent signals (consent doc §16) are read off every remote actor document we store and kept in
``Account.consent``; remote notes keep theirs in ``RemoteNote.consent`` (see ``remote_note_consent``), folded with
their author's, any disallow winning. When an actor's signals change (Update(Person), refetch) the stored notes
of that actor are re-read, so a new refusal applies retroactively. The raw JSON keeps every property as sent.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.parse import parse_actor, parse_key_document
from fediverse.activitypub.render import iso
from fediverse.activitypub.vocab import ParseError, RemoteActor
from fediverse.consent import (
    AI_TRAINING_VALUES, ConsentRecord, InboundSignals, Provenance, combine, signals_from_activitypub,
)
from fediverse.db import accounts as account_db
from fediverse.db.upsert import insert_or_skip
from fediverse.errors import Invalid, RemoteError
from fediverse.federation.client import Signer
from fediverse.models import Account, RemoteNote, utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


async def instance_signer(rt: Runtime, session: AsyncSession) -> Signer | None:
    """Fetches are signed by the instance actor, so authorized-fetch servers answer them."""
    user = await account_db.local_user_by_account(session, await _instance_account_id(rt, session))
    return rt.signer_for(user) if user else None


async def _instance_account_id(rt: Runtime, session: AsyncSession) -> int:
    account = await account_db.by_uri(session, rt.uris.instance_actor())
    return account.id if account else -1


async def fetch_actor(rt: Runtime, session: AsyncSession, uri: str, prefer_key: str | None = None, *,
                      deadline: float | None = None) -> Account:
    """Fetch `uri`, check the document is the actor it claims to be, and store it (`deadline`: see fetch_json)."""
    if rt.uris.is_local(uri):
        local = await account_db.by_uri(session, uri)
        if local is None:
            raise RemoteError(f"no local actor {uri}")
        return local
    final_url, doc = await rt.client.fetch_json(uri, signer=await instance_signer(rt, session), deadline=deadline)
    try:
        actor = parse_actor(doc)
    except ParseError as exc:
        raise RemoteError(f"{uri[:200]} is not a usable actor: {exc}") from None
    if actor.id != uri and actor.id != final_url:
        raise RemoteError(f"{uri[:200]} served a document with id {actor.id[:200]}")
    if urlsplit(actor.id).netloc != urlsplit(final_url).netloc:
        raise RemoteError(f"actor id {actor.id[:200]} is not on the host that served it")
    return await store_actor(session, actor, prefer_key)


# Account column <- RemoteActor field, copied unchanged on every refresh.
_COPIED_AS_IS = (
    ("actor_type", "type"), ("url", "url"), ("inbox_url", "inbox"), ("shared_inbox_url", "shared_inbox"),
    ("outbox_url", "outbox"), ("followers_url", "followers"), ("following_url", "following"),
    ("featured_url", "featured"), ("icon_url", "icon_url"), ("image_url", "image_url"),
    ("manually_approves_followers", "manually_approves_followers"), ("discoverable", "discoverable"),
    ("indexable", "indexable"),
)


async def store_actor(session: AsyncSession, actor: RemoteActor, prefer_key: str | None = None) -> Account:
    """Insert or refresh the Account row of a remote actor (actor id is the identity, handle may change)."""
    account = await account_db.by_uri(session, actor.id)
    key = next((k for k in actor.public_keys if k.id == prefer_key), next(iter(actor.public_keys), None))
    if key is not None and (account is None or key.id != account.key_id):
        holder = await account_db.by_key_id(session, key.id)
        if holder is not None and holder is not account:
            holder.key_id = None  # the key moved to this actor; a key belongs to one actor only
            await session.flush()
    if account is None:
        account = await _claim_row(session, actor)
    account.username = actor.preferred_username
    account.handle = f"{actor.preferred_username.lower()}@{account.domain}"
    account.display_name = actor.name or ""
    account.summary = actor.summary or ""
    account.key_id = key.id if key else None
    account.public_key_pem = key.pem if key else None
    for column, field in _COPIED_AS_IS:
        setattr(account, column, getattr(actor, field))
    account.fields = [{"name": name, "value": value} for name, value in actor.fields]
    account.raw = actor.raw
    account.fetched_at = utcnow()
    await _store_actor_consent(session, account, actor.raw)
    await session.flush()
    return account


async def _claim_row(session: AsyncSession, actor: RemoteActor) -> Account:
    """The actor's row, inserted if missing. Two requests may learn of the same actor at once (a Follow arrives
    while we look its author up): insert-or-skip on the unique id, then read whichever row won."""
    domain = urlsplit(actor.id).netloc.lower()
    await session.execute(insert_or_skip(
        session, Account, "uri", uri=actor.id, domain=domain, username=actor.preferred_username,
        inbox_url=actor.inbox, handle=f"{actor.preferred_username.lower()}@{domain}"))
    account = await account_db.by_uri(session, actor.id)
    assert account is not None
    return account


async def account_for_key(rt: Runtime, session: AsyncSession, key_id: str, *, refresh: bool = False,
                          deadline: float | None = None) -> Account:
    """The actor owning `key_id`: from the cache when fresh, otherwise fetched (key rotation, new actors).

    Every fetch made here (key document, then actor) ends by `deadline` (event-loop time) when one is given."""
    account = await account_db.by_key_id(session, key_id)
    max_age = timedelta(seconds=rt.settings.federation.key_cache_seconds)
    if account is not None and not refresh and (account.is_local or is_fresh(account, max_age)):
        return account
    if account is not None and not account.is_local:
        return await _refetch(rt, session, account.uri, key_id, deadline)
    document_url = urldefrag(key_id).url
    final_url, doc = await rt.client.fetch_json(document_url, signer=await instance_signer(rt, session),
                                                deadline=deadline)
    if isinstance(doc.get("publicKeyPem"), str) and doc.get("owner"):
        try:
            key = parse_key_document(doc)
        except ParseError as exc:
            raise RemoteError(f"key {key_id[:200]} is not usable: {exc}") from None
        return await _refetch(rt, session, key.owner, key_id, deadline)
    return await _refetch(rt, session, document_url, key_id, deadline)


async def _refetch(rt: Runtime, session: AsyncSession, actor_uri: str, key_id: str, deadline: float | None) -> Account:
    account = await fetch_actor(rt, session, actor_uri, prefer_key=key_id, deadline=deadline)
    if account.key_id != key_id:
        raise RemoteError(f"actor {actor_uri[:200]} does not list key {key_id[:200]}")
    return account


def is_fresh(account: Account, max_age: timedelta) -> bool:
    """Fetched recently enough to trust without asking its server again."""
    return account.fetched_at is not None and utcnow() - account.fetched_at < max_age


# --- inbound consent signals (consent doc §16) -------------------------------------------------------------------

SIGNAL_FIELDS = ("ai_training", "tdm_reserved", "ai_input", "search", "licence_url", "licence_text", "attribution",
                 "creator", "tdm_policy", "digital_source_type")
_BOOL_FIELDS = ("tdm_reserved", "ai_input", "search")
MAX_PROVENANCE = 64  # entries kept per stored record
MAX_ATTACHMENTS = 20  # attachments of one note read for signals
MAX_TEXT = 500


def _clean_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """One line of text without control characters (a peer's creditText may carry NUL, line breaks …)."""
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    text = " ".join(text.split())[:limit]
    return text or None


def signals_to_json(parts: list[tuple[str, InboundSignals]]) -> dict[str, Any]:
    """The stored form of signals read from several scopes ("actor", "object", "attachment 1" …).

    The fields are the combination (any disallow wins, then any allow, else absent = unknown); ``provenance``
    says which signal of which scope produced what, including what could not be read.
    """
    merged = combine(*(signals for _scope, signals in parts))
    out: dict[str, Any] = {}
    for name in SIGNAL_FIELDS:
        value = getattr(merged, name)
        if name in ("licence_text", "attribution", "creator"):
            value = _clean_text(value)
        if value is not None:
            out[name] = value
    out["provenance"] = [
        {"scope": scope, "source": p.source, "signal": _clean_text(p.signal, 200) or "",
         "value": _clean_text(p.value, 200) or "", "meaning": _clean_text(p.meaning, 300) or ""}
        for scope, signals in parts for p in signals.provenance
    ][:MAX_PROVENANCE]
    out["read_at"] = iso(utcnow())
    return out


def signals_from_json(data: Any) -> InboundSignals:
    """Stored signals back as ``InboundSignals`` (wrong types are dropped, never raised on)."""
    if not isinstance(data, Mapping):
        return InboundSignals()
    values: dict[str, Any] = {}
    if data.get("ai_training") in AI_TRAINING_VALUES:
        values["ai_training"] = data["ai_training"]
    for name in _BOOL_FIELDS:
        if isinstance(data.get(name), bool):
            values[name] = data[name]
    for name in ("licence_url", "licence_text", "attribution", "creator", "tdm_policy", "digital_source_type"):
        if isinstance(data.get(name), str):
            values[name] = data[name]
    provenance = tuple(
        Provenance(str(p.get("source", "")), str(p.get("signal", "")), str(p.get("value", "")), str(p.get("meaning", "")))
        for p in (data.get("provenance") if isinstance(data.get("provenance"), list) else [])
        if isinstance(p, Mapping)
    )
    return InboundSignals(**values, provenance=provenance)


def actor_consent(raw: Any) -> dict[str, Any]:
    """What a remote actor document says about AI training, TDM, AI input, search and licence."""
    return signals_to_json([("actor", signals_from_activitypub(raw, is_actor=True))])


def remote_note_consent(raw: Any, author_consent: Any) -> dict[str, Any]:
    """A remote note's signals: the note, each attachment, and its author's stored signals, combined."""
    parts: list[tuple[str, InboundSignals]] = [("object", signals_from_activitypub(raw, is_actor=False))]
    attachments = raw.get("attachment") if isinstance(raw, Mapping) else None
    attachments = attachments if isinstance(attachments, list) else [attachments] if attachments else []
    for n, attachment in enumerate(attachments[:MAX_ATTACHMENTS], start=1):
        if isinstance(attachment, Mapping):
            parts.append((f"attachment {n}", signals_from_activitypub(attachment, is_actor=False)))
    parts.append(("actor", signals_from_json(author_consent)))
    return signals_to_json(parts)


def _comparable(record: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (record or {}).items() if k != "read_at"}


async def _store_actor_consent(session: AsyncSession, account: Account, raw: Any) -> None:
    """Keep the actor's signals; when they changed, re-read the stored notes of that actor (retroactive)."""
    before = account.consent
    after = actor_consent(raw)
    account.consent = after
    if account.id is None or _comparable(before) == _comparable(after):
        return
    notes = await session.scalars(select(RemoteNote).where(RemoteNote.account_id == account.id))
    for note in notes:
        note.consent = remote_note_consent(note.raw, after)


def stored_note_signals(note: RemoteNote) -> InboundSignals:
    """A remote note's combined signals (re-read from its raw JSON if it was stored before signals were kept)."""
    stored = note.consent if note.consent is not None else remote_note_consent(note.raw, note.account.consent)
    return signals_from_json(stored)


def remote_record(signals: InboundSignals, default: ConsentRecord) -> ConsentRecord:
    """The record to re-emit for remote content: what its author said, ``default`` (instance policy) for the rest."""
    try:
        return signals.to_record(default)
    except Invalid:  # a value that cannot be re-emitted safely (e.g. a licence URL we refuse): keep the refusals
        return InboundSignals(ai_training=signals.ai_training, tdm_reserved=signals.tdm_reserved,
                              ai_input=signals.ai_input, search=signals.search).to_record(default)
