"""Remote actors and their keys: fetch (signed by the instance actor), parse, cache as Account rows."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.parse import parse_actor, parse_key_document
from fediverse.activitypub.vocab import ParseError, RemoteActor
from fediverse.db import accounts as account_db
from fediverse.errors import RemoteError
from fediverse.federation.client import Signer
from fediverse.models import Account, utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


async def instance_signer(rt: Runtime, session: AsyncSession) -> Signer | None:
    """Fetches are signed by the instance actor, so authorized-fetch servers answer them."""
    user = await account_db.local_user_by_account(session, await _instance_account_id(rt, session))
    return rt.signer_for(user) if user else None


async def _instance_account_id(rt: Runtime, session: AsyncSession) -> int:
    account = await account_db.by_uri(session, rt.uris.instance_actor())
    return account.id if account else -1


async def fetch_actor(rt: Runtime, session: AsyncSession, uri: str, prefer_key: str | None = None) -> Account:
    """Fetch `uri`, check the document is the actor it claims to be, and store it."""
    if rt.uris.is_local(uri):
        local = await account_db.by_uri(session, uri)
        if local is None:
            raise RemoteError(f"no local actor {uri}")
        return local
    final_url, doc = await rt.client.fetch_json(uri, signer=await instance_signer(rt, session))
    try:
        actor = parse_actor(doc)
    except ParseError as exc:
        raise RemoteError(f"{uri[:200]} is not a usable actor: {exc}") from None
    if actor.id != uri and actor.id != final_url:
        raise RemoteError(f"{uri[:200]} served a document with id {actor.id[:200]}")
    if urlsplit(actor.id).netloc != urlsplit(final_url).netloc:
        raise RemoteError(f"actor id {actor.id[:200]} is not on the host that served it")
    return await store_actor(session, actor, prefer_key)


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
        account = Account(uri=actor.id, domain=urlsplit(actor.id).netloc.lower())
        session.add(account)
    account.username = actor.preferred_username
    account.handle = f"{actor.preferred_username.lower()}@{account.domain}"
    account.actor_type = actor.type
    account.display_name = actor.name or ""
    account.summary = actor.summary or ""
    account.url = actor.url
    account.inbox_url = actor.inbox
    account.shared_inbox_url = actor.shared_inbox
    account.outbox_url = actor.outbox
    account.followers_url = actor.followers
    account.following_url = actor.following
    account.featured_url = actor.featured
    account.key_id = key.id if key else None
    account.public_key_pem = key.pem if key else None
    account.icon_url = actor.icon_url
    account.image_url = actor.image_url
    account.manually_approves_followers = actor.manually_approves_followers
    account.discoverable = actor.discoverable
    account.indexable = actor.indexable
    account.fields = [{"name": name, "value": value} for name, value in actor.fields]
    account.raw = actor.raw
    account.fetched_at = utcnow()
    await session.flush()
    return account


async def account_for_key(rt: Runtime, session: AsyncSession, key_id: str, *, refresh: bool = False) -> Account:
    """The actor owning `key_id`: from the cache when fresh, otherwise fetched (key rotation, new actors)."""
    account = await account_db.by_key_id(session, key_id)
    max_age = timedelta(seconds=rt.settings.federation.key_cache_seconds)
    if account is not None and not refresh and (account.is_local or is_fresh(account, max_age)):
        return account
    if account is not None and not account.is_local:
        return await _refetch(rt, session, account.uri, key_id)
    document_url = urldefrag(key_id).url
    final_url, doc = await rt.client.fetch_json(document_url, signer=await instance_signer(rt, session))
    if isinstance(doc.get("publicKeyPem"), str) and doc.get("owner"):
        try:
            key = parse_key_document(doc)
        except ParseError as exc:
            raise RemoteError(f"key {key_id[:200]} is not usable: {exc}") from None
        return await _refetch(rt, session, key.owner, key_id)
    return await _refetch(rt, session, document_url, key_id)


async def _refetch(rt: Runtime, session: AsyncSession, actor_uri: str, key_id: str) -> Account:
    account = await fetch_actor(rt, session, actor_uri, prefer_key=key_id)
    if account.key_id != key_id:
        raise RemoteError(f"actor {actor_uri[:200]} does not list key {key_id[:200]}")
    return account


def is_fresh(account: Account, max_age: timedelta) -> bool:
    """Fetched recently enough to trust without asking its server again."""
    return account.fetched_at is not None and utcnow() - account.fetched_at < max_age
