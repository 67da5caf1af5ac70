"""Inbox rate limits that trust nothing the sender merely claims.

Before verification the only thing we know is the client address (the web edge passes its rate-limit key: the
address, IPv6 by /64; proxies only as configured, see web/ratelimit.py): `address_wait` limits by it before any
key fetch, signature check or write, so random claimed domains cannot escape a limit. The `actor` of an
unverified body is never counted: unsigned junk claiming `https://victim.example/...` must not use up
victim.example's budget. After verification, `signer_wait` charges the verified signer's domain and actor.

Refusals are 429 + Retry-After. Limits are read from rt.settings at every call, so a change in the admin panel is
live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fediverse.models import Account
    from fediverse.runtime import Runtime

ADDRESS_SCOPE = "inbox_address"
DOMAIN_SCOPE = "inbox_domain"
ACTOR_SCOPE = "inbox_actor"


async def address_wait(rt: Runtime, client_key: str) -> tuple[int, str] | None:
    """(seconds to wait, why) when this client address sent too many inbox POSTs this minute; None when allowed."""
    limit = rt.settings.spam.inbox_per_address_per_minute
    wait = await rt.limiter.hit(ADDRESS_SCOPE, client_key[:100], limit)
    if wait is not None:
        return wait, f"too many activities from your address: at most {limit} a minute"
    return None


async def signer_wait(rt: Runtime, signer: Account) -> tuple[int, str] | None:
    """(seconds to wait, why) when the verified signer or its domain sent too much this minute; None when allowed."""
    spam = rt.settings.spam
    domain = (signer.domain or rt.settings.instance.domain).lower()
    wait = await rt.limiter.hit(DOMAIN_SCOPE, domain, spam.inbox_per_domain_per_minute)
    if wait is not None:
        return wait, f"too many activities from {domain[:200]}: at most {spam.inbox_per_domain_per_minute} a minute"
    wait = await rt.limiter.hit(ACTOR_SCOPE, signer.uri[:500], spam.inbox_per_actor_per_minute)
    if wait is not None:
        return wait, f"too many activities from {signer.uri[:200]}: at most {spam.inbox_per_actor_per_minute} a minute"
    return None
