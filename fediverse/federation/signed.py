"""Who signed this request? Read the signature, find (or fetch) the key, verify, retry once on rotation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.signatures.errors import SignatureError
from fediverse.activitypub.signatures.keys import load_public_key
from fediverse.activitypub.signatures.verify import read_signature, verify_request
from fediverse.db import accounts as account_db
from fediverse.errors import RemoteError
from fediverse.federation.actors import account_for_key, is_fresh
from fediverse.federation.client import RemoteStatus, Unreachable
from fediverse.models import Account

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


@dataclass(frozen=True)
class SignedRequest:
    """An inbound request as its signature covers it: the path with its query as asked (the request-target
    is rebuilt from it, never from a header), the full URL, the headers and the raw body."""

    method: str
    path_and_query: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None


class KeyUnavailable(Exception):
    """The signer's key could not be fetched right now (network): answer 503 so the sender retries."""



REFETCH_COOLDOWN_SECONDS = 300
"""A cached key whose check fails is fetched again (the actor may have rotated it) at most once per key in this
window (a fixed window of THE limiter, so shared by every process with Redis): forged signatures naming someone
else's key cannot make us hammer their server. A rotation is picked up by the first failing request; later
ones within the window are refused with 401 and the sender's retry succeeds."""
REFETCH_SCOPE = "key_refetch"


def key_deadline(rt: Runtime) -> float:
    """The event-loop time by which every key fetch of a request now starting must be done.

    All fetches made to verify one request (key document, actor, a refetch after a failed check) share
    `federation.key_fetch_seconds` (4 s by default): a key host that never answers still gets the request its 503
    within 5 s (Mastodon-style senders wait ~10 s), instead of connect + read time-outs adding up per fetch."""
    return asyncio.get_running_loop().time() + rt.settings.federation.key_fetch_seconds


async def verified_signer(rt: Runtime, session: AsyncSession, request: SignedRequest, *,
                          deadline: float | None = None) -> Account:
    """The account whose key signed `request`; SignatureError (401) or KeyUnavailable (503) otherwise.

    `deadline` (event-loop time, default `key_deadline(rt)`) bounds every key fetch this makes, together."""
    deadline = key_deadline(rt) if deadline is None else deadline
    info = read_signature(request.method, request.path_and_query, request.url, request.headers)
    cached = await account_db.by_key_id(session, info.key_id)
    max_age = timedelta(seconds=rt.settings.federation.key_cache_seconds)
    was_cached = cached is not None
    if cached is not None and (cached.is_local or is_fresh(cached, max_age)):
        account = cached  # the common case: one indexed read, no network
    else:
        account = await _signer(rt, session, info.key_id, refresh=False, deadline=deadline)
    try:
        _verify(info, request, account)
    except SignatureError:
        if not was_cached or account.is_local:
            raise
        if await rt.limiter.hit(REFETCH_SCOPE, info.key_id[:500], 1, window=REFETCH_COOLDOWN_SECONDS) is not None:
            raise  # refetched a moment ago: the key we hold is the actor's current one
        account = await _signer(rt, session, info.key_id, refresh=True, deadline=deadline)  # rotated?
        _verify(info, request, account)
    return account


def _verify(info, request: SignedRequest, account: Account) -> None:  # type: ignore[no-untyped-def]
    if not account.public_key_pem:
        raise SignatureError(f"actor {account.uri} has no public key")
    verify_request(info, request.method, request.path_and_query, request.url, request.headers, request.body,
                   load_public_key(account.public_key_pem))


async def _signer(rt: Runtime, session: AsyncSession, key_id: str, *, refresh: bool, deadline: float) -> Account:
    try:
        return await account_for_key(rt, session, key_id, refresh=refresh, deadline=deadline)
    except Unreachable as exc:
        raise KeyUnavailable(f"could not fetch key {key_id[:200]}: {exc}") from None
    except RemoteStatus as exc:
        if exc.status >= 500 or exc.status == 429:
            raise KeyUnavailable(f"could not fetch key {key_id[:200]}: {exc}") from None
        raise SignatureError(f"could not fetch key {key_id[:200]}: {exc}") from None
    except RemoteError as exc:
        raise SignatureError(f"could not use key {key_id[:200]}: {exc}") from None
