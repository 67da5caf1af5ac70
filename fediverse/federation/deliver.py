"""Deliver one activity to one inbox: sign the stored bytes afresh, POST, classify, track domain health."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.db import accounts as account_db
from fediverse.errors import RemoteError, UnsafeAddress
from fediverse.federation import health
from fediverse.federation.client import DomainBlocked, Signer
from fediverse.federation.retry import classify_response
from fediverse.jobs.kinds import Deliver
from fediverse.jobs.outcome import Done, GiveUp, Outcome, Retry
from fediverse.models import OutboundActivity, utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

AP_JSON = "application/activity+json"
Loaded = tuple[bytes, Signer]  # an activity's stored body and its author's signer
Unsendable = Done | GiveUp  # the activity is gone, or its author is no longer ours


async def deliver(rt: Runtime, job: Deliver) -> Outcome:
    domain = job.domain
    loaded = await _load(rt, job.activity, domain)
    if isinstance(loaded, (Done, GiveUp)):
        return loaded
    body, signer = loaded
    headers = await rt.run_in_pool(sign_cavage, "POST", job.inbox, {"Content-Type": AP_JSON}, body, signer.key_id,
                                   signer.private_key)
    headers["Content-Type"] = AP_JSON
    now = utcnow()
    try:
        result = await rt.client.post(job.inbox, body, headers)
    except (UnsafeAddress, DomainBlocked) as exc:  # never retried: a block is lifted by a new activity, not a retry
        return GiveUp(str(exc))
    except RemoteError as exc:
        outcome: Outcome = Retry(str(exc))
    else:
        outcome = classify_response(result.status, result.retry_after, now)
    if _changes_health(rt, domain, outcome):
        async with rt.sessions() as session:
            await _record_health(rt, session, domain, outcome)
            await session.commit()
    return outcome


async def _load(rt: Runtime, activity_id: int, domain: str) -> Loaded | Unsendable:
    """(body, signer) of the activity, or the outcome when it cannot be sent; the common case is a cache hit
    on a healthy domain, which costs no database session at all."""
    if rt.domain_health.has_failures(domain):
        async with rt.sessions() as session:
            if await health.is_unavailable(session, domain):
                return GiveUp(f"{domain} is marked unavailable after failures on several days")
    return await rt.activities.get(activity_id, lambda: _read_activity(rt, activity_id))


class BoundedCache(OrderedDict):  # type: ignore[type-arg]
    """A small LRU dict: oldest entries are dropped past `size`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:  # type: ignore[no-untyped-def]
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class ActivityCache:
    """Stored activities' (body, signer), one per Runtime. Bodies never change once stored, so a fan-out of
    thousands reads each one once; its first deliveries start together, so one of them reads the activity and
    the others wait on its future (the loading map)."""

    def __init__(self, size: int = 256) -> None:
        self._loaded = BoundedCache(size)
        self._loading: dict[int, asyncio.Future[Loaded | Unsendable]] = {}

    async def get(self, activity_id: int, read: Callable[[], Awaitable[Loaded | Unsendable]]) -> Loaded | Unsendable:
        """The cached entry, or what `read()` returns (only a (body, signer) is kept; an outcome is not)."""
        cached = self._loaded.get(activity_id)
        if cached is not None:
            return cached
        loading = self._loading.get(activity_id)
        if loading is not None:
            return await asyncio.shield(loading)
        loading = self._loading[activity_id] = asyncio.get_running_loop().create_future()
        try:
            result = await read()
        except BaseException as exc:  # the waiters see it too (a cancelled reader becomes an error for them)
            loading.set_exception(exc if isinstance(exc, Exception) else RuntimeError("loading the activity was interrupted"))
            loading.exception()  # retrieved here, so an exception nobody else awaited is not logged as lost
            raise
        else:
            if isinstance(result, tuple):
                self._loaded[activity_id] = result
            loading.set_result(result)
        finally:
            del self._loading[activity_id]
        return result


async def _read_activity(rt: Runtime, activity_id: int) -> Loaded | Unsendable:
    async with rt.sessions() as session:
        activity = await session.get(OutboundActivity, activity_id)
        if activity is None:
            return Done("activity no longer exists")
        user = await account_db.local_user_by_account(session, activity.actor_id)
        if user is None:
            return GiveUp("the author is no longer a local user")
        return activity.body, rt.signer_for(user)


def _changes_health(rt: Runtime, domain: str, outcome: Outcome) -> bool:
    """A failure is always recorded; a success only where a failure is on record, so the common case (a success
    on a healthy domain) costs no session and no write."""
    return isinstance(outcome, Retry) or (isinstance(outcome, Done) and rt.domain_health.has_failures(domain))


async def _record_health(rt: Runtime, session: AsyncSession, domain: str, outcome: Outcome) -> None:
    """The delivery's effect on the domain's health, in the caller's transaction (deliver commits)."""
    if isinstance(outcome, Retry):
        await rt.domain_health.failed(session, domain, outcome.error, utcnow(),
                                      rt.settings.federation.domain_unavailable_days)
    elif isinstance(outcome, Done):
        await rt.domain_health.succeeded(session, domain, utcnow())
