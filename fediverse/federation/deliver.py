"""Deliver one activity to one inbox: sign the stored bytes afresh, POST, classify, track domain health."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.db import accounts as account_db
from fediverse.errors import RemoteError, UnsafeAddress
from fediverse.federation import health
from fediverse.federation.client import DomainBlocked
from fediverse.federation.retry import classify_response
from fediverse.jobs.kinds import Deliver
from fediverse.jobs.outcome import Done, GiveUp, Outcome, Retry
from fediverse.models import OutboundActivity, utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

AP_JSON = "application/activity+json"


async def deliver(rt: Runtime, job: Deliver) -> Outcome:
    inbox, domain = job.inbox, job.domain
    loaded = await _load(rt, job.activity, domain)
    if isinstance(loaded, (Done, GiveUp)):
        return loaded
    body, signer = loaded
    headers = await rt.run_in_pool(sign_cavage, "POST", inbox, {"Content-Type": AP_JSON}, body, signer.key_id, signer.private_key)
    headers["Content-Type"] = AP_JSON
    now = utcnow()
    try:
        result = await rt.client.post(inbox, body, headers)
    except (UnsafeAddress, DomainBlocked) as exc:  # never retried: a block is lifted by a new activity, not a retry
        return GiveUp(str(exc))
    except RemoteError as exc:
        await _record_failure(rt, domain, str(exc))
        return Retry(str(exc))
    outcome = classify_response(result.status, result.retry_after, now)
    if isinstance(outcome, Done):
        await _record_success(rt, domain)
    elif isinstance(outcome, Retry):
        await _record_failure(rt, domain, outcome.error)
    return outcome


async def _load(rt: Runtime, activity_id: int, domain: str):  # type: ignore[no-untyped-def]
    """(body, signer) of the activity, or the outcome when it cannot be sent; the common case is a cache hit
    on a healthy domain, which costs no database session at all."""
    cached = rt.activity_cache.get(activity_id)
    if domain in rt.unhealthy_domains:
        async with rt.sessions() as session:
            if await health.is_unavailable(session, domain):
                return GiveUp(f"{domain} is marked unavailable after failures on several days")
    if cached is not None:
        return cached
    # The first deliveries of a fan-out start together: one of them reads the activity, the others wait.
    key = (id(rt), activity_id)
    loading = _loading.get(key)
    if loading is not None:
        return await asyncio.shield(loading)
    loading = _loading[key] = asyncio.get_running_loop().create_future()
    try:
        result = await _read_activity(rt, activity_id)
    except BaseException as exc:  # the waiters see it too (a cancelled reader becomes an error for them)
        loading.set_exception(exc if isinstance(exc, Exception) else RuntimeError("loading the activity was interrupted"))
        loading.exception()  # retrieved here, so an exception nobody else awaited is not logged as lost
        raise
    else:
        loading.set_result(result)
    finally:
        del _loading[key]
    return result


_loading: dict[tuple[int, int], asyncio.Future[Any]] = {}


async def _read_activity(rt: Runtime, activity_id: int):  # type: ignore[no-untyped-def]
    async with rt.sessions() as session:
        activity = await session.get(OutboundActivity, activity_id)
        if activity is None:
            return Done("activity no longer exists")
        user = await account_db.local_user_by_account(session, activity.actor_id)
        if user is None:
            return GiveUp("the author is no longer a local user")
        cached = (activity.body, rt.signer_for(user))
    rt.activity_cache[activity_id] = cached
    return cached


async def _record_failure(rt: Runtime, domain: str, error: str) -> None:
    rt.unhealthy_domains.add(domain)
    async with rt.sessions() as session:
        await health.record_failure(session, domain, error, utcnow(), rt.settings.federation.domain_unavailable_days)
        await session.commit()


async def _record_success(rt: Runtime, domain: str) -> None:
    if domain not in rt.unhealthy_domains:
        return  # the common case costs no write
    rt.unhealthy_domains.discard(domain)
    async with rt.sessions() as session:
        await health.record_success(session, domain, utcnow())
        await session.commit()
