"""Outbound delivery: shared-inbox dedupe, retries with backoff, Retry-After, giving up, dead domains."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.db import accounts as account_db
from fediverse.models import DomainHealth, Follow, Job, utcnow
from fediverse.models.accounts import Account
from fediverse.services.profile import update_profile
from tests.federation.helpers import act, make_user, user
from tests.support import Instance, Network


class FakeInbox:
    """A remote server that answers every POST with a fixed status and records what arrived."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = headers or {}
        self.received: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        async def inbox(request: Request) -> Response:
            self.received.append({"path": request.url.path, "headers": dict(request.headers), "body": await request.body()})
            return Response(status_code=self.status, headers=self.headers)

        return Starlette(routes=[Route("/{path:path}", inbox, methods=["POST"])])


async def add_remote_followers(instance: Instance, username: str, domain: str, count: int, *, shared: bool) -> None:
    """Followers on `domain` (stored directly, as if they had followed earlier)."""
    async with instance.rt.sessions() as session:
        me = await account_db.local_by_username(session, username)
        assert me is not None
        for n in range(count):
            uri = f"https://{domain}/users/f{n}"
            follower = Account(uri=uri, handle=f"f{n}@{domain}", username=f"f{n}", domain=domain,
                               inbox_url=f"{uri}/inbox", shared_inbox_url=f"https://{domain}/inbox" if shared else None)
            session.add(follower)
            await session.flush()
            session.add(Follow(uri=f"{uri}/follows/1", follower_id=follower.id, followee_id=me.id,
                               follower_inbox=follower.delivery_inbox, state="accepted"))
        await session.commit()


async def publish_profile_update(instance: Instance, username: str) -> None:
    async with instance.rt.sessions() as session:
        me = await session.merge(await user(instance, username))
        await update_profile(instance.rt, session, me, display_name="New name")
        await session.commit()


async def delivery_jobs(instance: Instance) -> list[Job]:
    async with instance.rt.sessions() as session:
        return list(await session.scalars(select(Job).where(Job.kind == "deliver").order_by(Job.id)))


async def test_followers_on_one_server_share_one_delivery_to_its_shared_inbox(network: Network) -> None:
    a = await network.add("art.test")
    await make_user(a, "alice")
    fake = FakeInbox(202)
    network.apps["many.test"] = httpx.ASGITransport(app=fake.app())
    await add_remote_followers(a, "alice", "many.test", 5, shared=True)
    await publish_profile_update(a, "alice")
    await network.drain()
    assert [r["path"] for r in fake.received] == ["/inbox"]
    headers = fake.received[0]["headers"]
    assert headers["content-type"] == "application/activity+json"
    assert 'keyId="https://art.test/users/alice#main-key"' in headers["signature"]
    assert "digest" in headers["signature"].split('headers="')[1].split('"')[0].split()
    assert [job.state for job in await delivery_jobs(a)] == ["done"]


async def test_profile_update_reaches_a_real_follower_instance(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    await publish_profile_update(a, "alice")
    await network.drain()
    async with b.rt.sessions() as session:
        from fediverse.models import InboundActivity

        update = await session.scalar(select(InboundActivity).where(InboundActivity.type == "Update"))
    assert update is not None and update.raw["object"]["name"] == "New name"


async def test_server_error_is_retried_later_with_backoff(network: Network) -> None:
    a = await network.add("art.test")
    await make_user(a, "alice")
    network.apps["flaky.test"] = httpx.ASGITransport(app=FakeInbox(500).app())
    await add_remote_followers(a, "alice", "flaky.test", 1, shared=False)
    await publish_profile_update(a, "alice")
    await network.drain()
    [job] = await delivery_jobs(a)
    assert job.state == "queued" and job.attempts == 1
    assert "500" in (job.last_error or "")
    assert job.run_at > utcnow() + timedelta(seconds=10)
    async with a.rt.sessions() as session:
        health = await session.get(DomainHealth, "flaky.test")
    assert health is not None and len(health.failure_days) == 1 and not health.unavailable


async def test_rate_limited_delivery_honours_retry_after(network: Network) -> None:
    a = await network.add("art.test")
    await make_user(a, "alice")
    network.apps["busy.test"] = httpx.ASGITransport(app=FakeInbox(429, {"Retry-After": "600"}).app())
    await add_remote_followers(a, "alice", "busy.test", 1, shared=False)
    await publish_profile_update(a, "alice")
    await network.drain()
    [job] = await delivery_jobs(a)
    assert job.state == "queued"
    assert utcnow() + timedelta(seconds=590) < job.run_at < utcnow() + timedelta(seconds=610)


async def test_client_error_is_final(network: Network) -> None:
    a = await network.add("art.test")
    await make_user(a, "alice")
    network.apps["gone.test"] = httpx.ASGITransport(app=FakeInbox(410).app())
    await add_remote_followers(a, "alice", "gone.test", 1, shared=False)
    await publish_profile_update(a, "alice")
    await network.drain()
    [job] = await delivery_jobs(a)
    assert job.state == "dead" and job.attempts == 1 and "410" in (job.last_error or "")


async def test_unreachable_domain_becomes_unavailable_and_is_not_hammered(network: Network) -> None:
    a = await network.add("art.test", federation={"domain_unavailable_days": 1})
    await make_user(a, "alice")
    await add_remote_followers(a, "alice", "nowhere.test", 1, shared=False)  # no route: connection refused
    await publish_profile_update(a, "alice")
    await network.drain()
    async with a.rt.sessions() as session:
        health = await session.get(DomainHealth, "nowhere.test")
    assert health is not None and health.unavailable
    await publish_profile_update(a, "alice")
    await network.drain()
    jobs = await delivery_jobs(a)
    assert jobs[-1].state == "dead" and "unavailable" in (jobs[-1].last_error or "")


async def test_attempts_run_out_after_the_configured_maximum(network: Network) -> None:
    a = await network.add("art.test", federation={"delivery_max_attempts": 2})
    await make_user(a, "alice")
    network.apps["flaky.test"] = httpx.ASGITransport(app=FakeInbox(503).app())
    await add_remote_followers(a, "alice", "flaky.test", 1, shared=False)
    await publish_profile_update(a, "alice")
    await network.drain()
    async with a.rt.sessions() as session:  # make the retry due now instead of in a minute
        job = await session.scalar(select(Job).where(Job.kind == "deliver"))
        assert job is not None
        job.run_at = utcnow()
        await session.commit()
    await network.drain()
    [job] = await delivery_jobs(a)
    assert job.state == "dead" and job.attempts == 2 and "gave up after 2 attempts" in (job.last_error or "")
