"""Inbox rate limits per remote domain and per remote actor, checked before any signature key is fetched.

A flood from one server (or one account) is refused with 429 + Retry-After while it is still cheap to do so:
after the JSON is parsed (bounded by limits.max_inbox_bytes) and before the key lookup, the signature check
and any write. Limits are read from rt.settings at every call, so a change in the admin panel is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

DOMAIN_SCOPE = "inbox_domain"
ACTOR_SCOPE = "inbox_actor"


async def inbox_wait(rt: Runtime, actor_uri: str) -> tuple[int, str] | None:
    """(seconds to wait, why) when this actor or its domain sent too much this minute; None when allowed."""
    spam = rt.settings.spam
    domain = (urlsplit(actor_uri).hostname or "").lower()
    wait = await rt.limiter.hit(DOMAIN_SCOPE, domain, spam.inbox_per_domain_per_minute)
    if wait is not None:
        return wait, f"too many activities from {domain[:200]}: at most {spam.inbox_per_domain_per_minute} a minute"
    wait = await rt.limiter.hit(ACTOR_SCOPE, actor_uri[:500], spam.inbox_per_actor_per_minute)
    if wait is not None:
        return wait, f"too many activities from {actor_uri[:200]}: at most {spam.inbox_per_actor_per_minute} a minute"
    return None
