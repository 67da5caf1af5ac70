"""Rate limits: the limiter itself (memory and real Redis), the inbox per domain and per actor, the web per
client address and per logged-in account. Each refusal is a 429 with Retry-After, and nothing is stored."""

from __future__ import annotations

import os
import uuid

import orjson
import pytest
from sqlalchemy import func, select

from fediverse.models import InboundActivity
from fediverse.ratelimit import MemoryLimiter, RedisLimiter
from tests.federation.helpers import make_user
from tests.federation.test_inbox_bad_input import follow, signed_post
from tests.support import Instance, Network, StepClock
from tests.web.panel_client import PASSWORD, browser, login

REDIS_URL = os.environ.get("FEDIVERSE_TEST_REDIS_URL", "")


@pytest.mark.parametrize("kind", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_limiter_counts_per_key_and_window_and_says_how_long_to_wait(kind: str) -> None:
    if kind == "redis" and not REDIS_URL:
        pytest.skip("needs Redis: set FEDIVERSE_TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    clock = StepClock(6000.0 + 15)  # 15 s into a minute
    limiter = MemoryLimiter(clock) if kind == "memory" else RedisLimiter(REDIS_URL, f"fvtest:{uuid.uuid4().hex}", clock)
    try:
        assert [await limiter.hit("s", "a", 3) for _ in range(3)] == [None, None, None]
        assert await limiter.hit("s", "a", 3) == 45  # the window ends at 6060
        assert await limiter.hit("s", "b", 3) is None  # other keys have their own count
        assert await limiter.hit("t", "a", 3) is None  # ... and so do other scopes
        clock.advance(44.5)
        assert await limiter.hit("s", "a", 3) == 1  # never less than a second
        clock.advance(0.5)
        assert await limiter.hit("s", "a", 3) is None  # a new window
        assert limiter.rejections["s"] == 2 and limiter.rejections["t"] == 0
    finally:
        await limiter.aclose()


@pytest.mark.redis
async def test_two_redis_limiters_share_one_budget_like_two_processes() -> None:
    if not REDIS_URL:
        pytest.skip("needs Redis: set FEDIVERSE_TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    prefix = f"fvtest:{uuid.uuid4().hex}"
    first, second = RedisLimiter(REDIS_URL, prefix), RedisLimiter(REDIS_URL, prefix)
    try:
        results = [await (first if n % 2 else second).hit("s", "k", 4) for n in range(6)]
        assert results[:4] == [None] * 4 and all(isinstance(r, int) and r >= 1 for r in results[4:])
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_down_fails_open_instead_of_refusing_everyone() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0", "fvtest:down")
    try:
        assert [await limiter.hit("s", "k", 1) for _ in range(3)] == [None, None, None]
    finally:
        await limiter.aclose()


async def stored(instance: Instance) -> int:
    async with instance.rt.sessions() as session:
        return await session.scalar(select(func.count()).select_from(InboundActivity)) or 0


async def test_inbox_refuses_an_actor_past_its_limit_with_429_and_stores_nothing(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(), spam={"inbox_per_actor_per_minute": 3, "inbox_per_domain_per_minute": 100})
    social = await network.add("social.test")
    await make_user(art, "alice")
    await make_user(social, "bob")
    await make_user(social, "carol")
    for n in range(3):
        status, _ = await signed_post(social, art, orjson.dumps(follow(activity_id=f"https://social.test/a/{n}")))
        assert status == 202
    async with art.client() as client:
        from fediverse.activitypub.signatures.cavage import sign_cavage
        from tests.federation.helpers import user

        signer = social.rt.signer_for(await user(social, "bob"))
        body = orjson.dumps(follow(activity_id="https://social.test/a/over"))
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_cavage("POST", f"{art.base}/users/alice/inbox", headers, body, signer.key_id,
                                   signer.private_key))
        refused = await client.post("/users/alice/inbox", content=body, headers=headers)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "social.test/users/bob" in refused.json()["error"]
    assert await stored(art) == 3
    # another actor of the same server still gets through: the limit is per actor
    status, _ = await signed_post(social, art, orjson.dumps(follow("https://social.test/users/carol",
                                                                   "https://social.test/c/1")), username="carol")
    assert status == 202 and await stored(art) == 4


async def test_inbox_refuses_a_verified_domain_past_its_limit(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(), spam={"inbox_per_domain_per_minute": 2, "inbox_per_actor_per_minute": 100})
    social = await network.add("social.test")
    await make_user(art, "alice")
    for name in ("bob", "carol", "dave"):
        await make_user(social, name)
    answers = [await signed_post(social, art, orjson.dumps(follow(f"https://social.test/users/{name}",
                                                                  f"https://social.test/{name}/1")), username=name)
               for name in ("bob", "carol", "dave")]
    assert [status for status, _ in answers] == [202, 202, 429]
    assert "social.test" in answers[2][1]["error"]
    # an unsigned POST that merely claims that domain is refused for its signature, not charged to the domain
    async with art.client() as client:
        unsigned = await client.post("/inbox", content=orjson.dumps(follow(activity_id="https://social.test/x")),
                                     headers={"Content-Type": "application/activity+json"})
    assert unsigned.status_code == 401
    assert await stored(art) == 2
    assert art.rt.limiter is not None and art.rt.limiter.rejections["inbox_domain"] == 1


async def test_web_pages_answer_429_per_client_address_but_static_files_stay_free(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(), spam={"requests_per_minute_per_ip": 5})
    await make_user(art, "alice")
    async with browser(art) as client:
        statuses = [(await client.get("/@alice")).status_code for _ in range(5)]
        refused = await client.get("/@alice", headers={"Accept": "text/html"})
        static = await client.get("/static/panel.css")
        api = await client.get("/api/v1/instance")
    assert statuses == [200] * 5
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Too many requests" in refused.text and refused.headers["content-type"].startswith("text/html")
    assert static.status_code != 429
    assert api.status_code == 429 and api.headers["content-type"] == "application/json"  # Mastodon apps read JSON
    assert "Too many requests" in api.json()["error"]


async def test_a_logged_in_account_has_its_own_limit_on_the_panel(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(), spam={"requests_per_minute_per_account": 4, "requests_per_minute_per_ip": 1000})
    await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "bea", password=PASSWORD)
    async with browser(art) as alice:
        await login(alice, "alice")
        answers = [await alice.get("/studio") for _ in range(5)]
    assert [answer.status_code for answer in answers] == [200] * 4 + [429]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60 and "Too many requests" in answers[-1].text
    async with browser(art) as bea:  # the same address, another account: not affected
        await login(bea, "bea")
        assert (await bea.get("/studio")).status_code == 200
