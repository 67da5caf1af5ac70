"""A sign-up wave: one address hammering the form, many addresses at once, and who may run the queue."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from fediverse.models import LocalUser
from fediverse.ratelimit import MemoryLimiter
from fediverse.services import signup_tokens
from tests.admin.signup_client import OPEN, fields, from_ip, open_form, sign_up, signup_key
from tests.federation.helpers import make_user
from tests.support import Network, StepClock
from tests.web.panel_client import PASSWORD, browser, login, post_form


async def _signups(network_instance) -> int:  # type: ignore[no-untyped-def]
    async with network_instance.rt.sessions() as session:
        return await session.scalar(select(func.count()).select_from(LocalUser)
                                    .where(LocalUser.signup_ip.is_not(None))) or 0


async def test_a_thousand_posts_from_one_address_are_capped_at_the_hourly_limit(network: Network) -> None:
    limit = 5
    # The general per-address web limit (600/min, tests/admin/test_spam_limits.py) would answer first past 600
    # requests: lifted here so every one of the 1000 reaches the sign-up limiter this test is about.
    art = await network.add("art.test", clock=StepClock(), registrations={**OPEN, "attempts_per_hour_per_ip": limit, "daily_cap": 0},
                            spam={"requests_per_minute_per_ip": 100_000})
    key = signup_key(art)
    statuses: dict[int, int] = {}
    retry_afters = set()
    async with from_ip(art, "203.0.113.7") as client:
        csrf, _, _ = await open_form(client)
        for n in range(1000):
            stamp = signup_tokens.issue(key, art.clock.time() - 10)  # a fresh, valid form every time
            spoofed = {"X-Forwarded-For": f"10.{n // 250}.{n % 250}.1", "X-Real-IP": f"10.9.{n % 250}.2"}
            response = await client.post("/signup", data={"csrf_token": csrf, "stamp": stamp, **fields(f"bot{n}")},
                                         headers=spoofed)  # forged proxy headers change nothing
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 303:  # signed in as the new account: log out again, keep hammering
                client.cookies.clear()
                csrf, _, _ = await open_form(client)
            elif response.status_code == 429:
                retry_afters.add(int(response.headers["retry-after"]))
                assert "Too many sign-up attempts" in response.text
    assert statuses == {303: limit, 429: 1000 - limit}, statuses
    assert retry_afters and all(0 < wait <= 3600 for wait in retry_afters)
    assert await _signups(art) == limit
    async with art.rt.sessions() as session:
        ips = set(await session.scalars(select(LocalUser.signup_ip).where(LocalUser.signup_ip.is_not(None))))
    assert ips == {"203.0.113.7"}  # the peer address, not the forged headers
    async with from_ip(art, "198.51.100.9") as other:  # someone else is not affected
        assert (await sign_up(other, "human")).status_code == 303


async def test_rotating_within_one_ipv6_64_does_not_escape_the_limit(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(), registrations={**OPEN, "attempts_per_hour_per_ip": 2, "daily_cap": 0})
    results = []
    for n in range(4):
        async with from_ip(art, f"2001:db8:7:7::{n + 1:x}") as client:
            results.append((await sign_up(client, f"six{n}")).status_code)
    assert results == [303, 303, 429, 429]
    async with from_ip(art, "2001:db8:7:8::1") as client:  # the next /64 is someone else
        assert (await sign_up(client, "neighbour")).status_code == 303


async def test_the_daily_cap_holds_across_many_addresses_and_restarts(network: Network) -> None:
    cap = 3
    art = await network.add("art.test", clock=StepClock(), registrations={**OPEN, "daily_cap": cap})
    results = []
    for n in range(10):
        async with from_ip(art, f"192.0.2.{n + 1}") as client:
            response = await sign_up(client, f"wave{n}")
            results.append(response.status_code)
            if response.status_code == 429:
                assert "all the sign-ups it accepts today" in response.text
                assert 0 < int(response.headers["retry-after"]) <= 86400
    assert results == [303] * cap + [429] * (10 - cap)
    assert await _signups(art) == cap
    art.rt.limiter = MemoryLimiter(art.clock)  # what a fresh process has without Redis: no memory of earlier requests
    async with from_ip(art, "192.0.2.200") as client:
        assert (await sign_up(client, "after")).status_code == 429  # counted in the database
    await make_user(art, "staffmade", password=PASSWORD)  # accounts made by an admin do not count
    assert await _signups(art) == cap


async def test_only_moderators_run_the_queue_and_only_admins_invites(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval", "min_fill_seconds": 0})
    await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    async with browser(art) as client:
        await sign_up(client, "hopeful", reason="I carve wood")
    async with art.rt.sessions() as session:
        pending_id = await session.scalar(select(LocalUser.account_id).where(LocalUser.approved.is_(False)))
    async with browser(art) as client:
        await login(client, "alice")
        assert (await client.get("/admin/signups")).status_code == 403
        refused = await post_form(client, "/studio", f"/admin/signups/{pending_id}/approve")
        assert refused.status_code == 403
    async with browser(art) as client:
        await login(client, "mod")
        for path in ("/admin/invites", "/admin/email-blocks"):
            assert (await client.get(path)).status_code == 403, path
        made = await post_form(client, "/admin/signups", "/admin/invites", {"max_uses": "1", "days": "1"})
        assert made.status_code == 403
        approved = await post_form(client, "/admin/signups", f"/admin/signups/{pending_id}/approve")
        assert approved.status_code == 303
    async with art.rt.sessions() as session:
        assert await session.scalar(select(LocalUser.approved).where(LocalUser.account_id == pending_id)) is True
    async with browser(art) as client:
        assert (await login(client, "hopeful")).status_code == 303


async def test_the_daily_cap_holds_when_the_wave_arrives_all_at_once(network: Network) -> None:
    cap = 3
    art = await network.add("art.test", clock=StepClock(), registrations={**OPEN, "daily_cap": cap})
    key = signup_key(art)
    clients = [from_ip(art, f"198.18.0.{n + 1}") for n in range(12)]
    try:
        forms = [await open_form(client) for client in clients]
        posts = [client.post("/signup", data={"csrf_token": csrf, "stamp": signup_tokens.issue(key, art.clock.time() - 10),
                                              **fields(f"burst{n}")})
                 for n, (client, (csrf, _, _)) in enumerate(zip(clients, forms))]
        responses = await asyncio.gather(*posts)
    finally:
        for client in clients:
            await client.aclose()
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {303, 429}, [r.text[:300] for r in responses if r.status_code not in (303, 429)]
    assert 1 <= codes.count(303) <= cap and await _signups(art) == codes.count(303)


async def test_the_same_username_sent_twice_at_once_makes_one_account(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN)
    key = signup_key(art)
    clients = [from_ip(art, f"198.18.1.{n + 1}") for n in range(4)]
    try:
        forms = [await open_form(client) for client in clients]
        responses = await asyncio.gather(*[
            client.post("/signup", data={"csrf_token": csrf, "stamp": signup_tokens.issue(key, time.time() - 10),
                                         **fields("twin", email=f"twin{n}@mail.example")})
            for n, (client, (csrf, _, _)) in enumerate(zip(clients, forms))])
    finally:
        for client in clients:
            await client.aclose()
    codes = sorted(r.status_code for r in responses)
    assert codes == [303, 409, 409, 409], [r.text[:300] for r in responses]
    assert await _signups(art) == 1
