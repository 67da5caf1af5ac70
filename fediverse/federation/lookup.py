"""Find a remote account from a handle (user@domain) by WebFinger, then fetch its actor."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, TypeVar
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.parse import parse_webfinger
from fediverse.activitypub.vocab import ParseError
from fediverse.activitypub.webfinger import parse_resource, parse_subscribe_template
from fediverse.db import accounts as account_db
from fediverse.errors import Invalid, NotFound, RemoteError
from fediverse.federation.actors import fetch_actor, is_fresh
from fediverse.models import Account

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

JRD_ACCEPT = "application/jrd+json, application/json"
T = TypeVar("T")


async def resolve_handle(rt: Runtime, session: AsyncSession, handle: str) -> Account:
    """`user@domain` (optionally with @ or acct:) or an actor URL -> stored Account."""
    try:
        resource = parse_resource(handle)
    except ValueError as exc:
        raise Invalid(f"{handle!r}: {exc}") from None
    max_age = timedelta(seconds=rt.settings.federation.key_cache_seconds)
    if resource.url:
        known = await account_db.by_uri(session, resource.url)
        if known is not None and (known.is_local or is_fresh(known, max_age)):
            return known
        return await fetch_actor(rt, session, resource.url)
    assert resource.username and resource.domain
    if resource.domain == rt.uris.domain:
        local = await account_db.local_by_username(session, resource.username)
        if local is None:
            raise NotFound(f"no local account {resource.username!r}")
        return local
    known = await account_db.remote_by_handle(session, f"{resource.username}@{resource.domain}")
    if known is not None and is_fresh(known, max_age):
        return known  # no network round trip for someone we already know
    actor_url = await webfinger(rt, resource.username, resource.domain)
    return await fetch_actor(rt, session, actor_url)



async def webfinger(rt: Runtime, username: str, domain: str) -> str:
    """The actor URL behind acct:username@domain (https; http too when private addresses are allowed)."""
    return (await _lookup(rt, username, domain, parse_webfinger)).actor_url


async def subscribe_template(rt: Runtime, username: str, domain: str) -> str | None:
    """The remote-interaction template (ostatus subscribe) of acct:username@domain's server, or None when its
    JRD has none; RemoteError when the lookup fails. Bounded by the safe client (time, size, private addresses)."""
    return await _lookup(rt, username, domain, _with_template)


def _with_template(jrd: Any) -> str | None:
    parse_webfinger(jrd)  # a JRD at all (subject, links), or ParseError
    return parse_subscribe_template(jrd)


async def _lookup(rt: Runtime, username: str, domain: str, read: Callable[[Any], T]) -> T:
    schemes = ["https", "http"] if rt.settings.federation.allow_private_addresses else ["https"]
    resource = quote(f"acct:{username}@{domain}", safe=":@")
    last_error: Exception | None = None
    for scheme in schemes:
        url = f"{scheme}://{domain}/.well-known/webfinger?resource={resource}"
        try:
            _final, jrd = await rt.client.fetch_json(url, accept=JRD_ACCEPT, activitypub=False)
            return read(jrd)
        except (RemoteError, ParseError) as exc:
            last_error = exc
            continue
    raise RemoteError(f"WebFinger lookup of {username}@{domain} failed: {last_error}")
