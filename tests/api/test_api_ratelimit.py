"""The client API's request budget: X-RateLimit-Limit, -Remaining and -Reset on every /api/ answer (successes and
errors alike), counted per token or, without one, per client address, on the instance's clock (a StepClock here,
so no window edge passes mid-test); 429 JSON past the limit, with the headers, Retry-After and CORS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from fediverse.models import utcnow
from fediverse.ratelimit import MemoryLimiter, RedisLimiter
from fediverse.services import oauth
from tests.api.oauth_client import REDIRECT, api, bearer
from tests.components import REDIS_URL
from tests.federation.helpers import make_user, user
from tests.support import Instance, Network, StepClock
from tests.web.panel_client import PASSWORD

LIMIT = 5
HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
ORIGIN = {"Origin": "https://elk.example"}


async def limited_instance(network: Network, limit: int = LIMIT) -> tuple[Instance, StepClock]:
    clock = StepClock()
    art = await network.add("art.test", clock=clock, spam={"api_requests_per_5_minutes": limit})
    for name in ("alice", "dave"):
        await make_user(art, name, password=PASSWORD)
    return art, clock


async def token_for(art: Instance, username: str) -> str:
    """A token issued by the same service the token endpoint uses (the budget is what is under test here)."""
    async with art.rt.sessions() as session:
        app = (await oauth.register_app(session, "Pacer", None, [REDIRECT], ["read"], utcnow())).app
        person = await user(art, username)
        code = await oauth.issue_code(session, app, person.account_id, REDIRECT, ["read"], None, utcnow())
        return (await oauth.trade_code(session, app, code, REDIRECT, None, utcnow())).token


def budget(answer: httpx.Response) -> tuple[int, int, datetime]:
    assert all(name in answer.headers for name in HEADERS), (answer.status_code, dict(answer.headers))
    reset = answer.headers["x-ratelimit-reset"]
    assert reset.endswith("Z") and len(reset) == len("2026-01-01T00:00:00.000Z"), reset
    return (int(answer.headers["x-ratelimit-limit"]), int(answer.headers["x-ratelimit-remaining"]),
            datetime.strptime(reset, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC))


async def test_every_answer_carries_the_three_headers_and_the_count_goes_down(network: Network) -> None:
    art, clock = await limited_instance(network)
    window_end = datetime.fromtimestamp((clock.time() // 300 + 1) * 300, UTC)
    token = await token_for(art, "alice")
    async with api(art) as client:
        answers = [await client.get("/api/v1/instance", headers=bearer(token)),
                   await client.get("/api/v1/no-such-endpoint", headers=bearer(token)),  # 404
                   await client.get("/api/v1/accounts/99999999", headers=bearer(token)),  # 404 from a view
                   await client.get("/api/v1/timelines/public?limit=x", headers=bearer(token)),  # 400
                   await client.post("/api/v1/apps/", headers=bearer(token), data={})]  # 422, trailing slash
    assert [a.status_code for a in answers] == [200, 404, 404, 400, 422]
    assert [budget(a) for a in answers] == [(LIMIT, LIMIT - n, window_end) for n in range(1, 6)]
    assert all(a.headers["content-type"].startswith("application/json") for a in answers)


async def test_past_the_limit_a_json_429_with_the_headers_retry_after_and_cors(network: Network) -> None:
    art, clock = await limited_instance(network)
    clock.advance(100)  # 100 s into the 5-minute window
    token = await token_for(art, "alice")
    async with api(art) as client:
        allowed = [await client.get("/api/v1/custom_emojis", headers=bearer(token)) for _ in range(LIMIT)]
        refused = await client.get("/api/v1/custom_emojis", headers={**bearer(token), **ORIGIN})
        again = await client.get("/api/v1/instance", headers=bearer(token))
    assert [a.status_code for a in allowed] == [200] * LIMIT
    assert refused.status_code == 429 and refused.json() == {"error": "Too many requests"}
    assert budget(refused)[:2] == (LIMIT, 0) and refused.headers["retry-after"] == "200"
    assert refused.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in refused.headers["access-control-expose-headers"].split(",")}
    assert set(HEADERS) | {"retry-after"} <= exposed
    assert again.status_code == 429 and budget(again)[1] == 0  # any endpoint: one budget per token


async def test_the_budget_comes_back_when_the_window_ends(network: Network) -> None:
    art, clock = await limited_instance(network, limit=2)
    token = await token_for(art, "alice")
    async with api(art) as client:
        for _ in range(2):
            assert (await client.get("/api/v1/instance", headers=bearer(token))).status_code == 200
        refused = await client.get("/api/v1/instance", headers=bearer(token))
        assert refused.status_code == 429
        first_reset = budget(refused)[2]
        clock.advance(299)
        assert (await client.get("/api/v1/instance", headers=bearer(token))).status_code == 429  # still that window
        clock.advance(1)
        back = await client.get("/api/v1/instance", headers=bearer(token))
    assert back.status_code == 200 and budget(back)[:2] == (2, 1)
    assert (budget(back)[2] - first_reset).total_seconds() == 300  # the next window's end


async def test_each_token_and_each_signed_out_address_has_its_own_budget(network: Network) -> None:
    art, _clock = await limited_instance(network, limit=3)
    alice, dave = await token_for(art, "alice"), await token_for(art, "dave")
    async with api(art) as client:
        for _ in range(3):
            await client.get("/api/v1/instance", headers=bearer(alice))
        assert (await client.get("/api/v1/instance", headers=bearer(alice))).status_code == 429
        by_dave = await client.get("/api/v1/instance", headers=bearer(dave))
        signed_out = await client.get("/api/v1/instance")
        by_query = await client.get(f"/api/v1/instance?access_token={alice}")  # the same token, as streaming sends it
        made_up = await client.get("/api/v1/instance", headers=bearer("not-a-token"))
    assert by_dave.status_code == 200 and budget(by_dave)[1] == 2
    assert signed_out.status_code == 200 and budget(signed_out)[1] == 2
    assert by_query.status_code == 429
    assert made_up.status_code == 401 and budget(made_up)[1] == 2  # a 401 carries the set too
    outside = await client_of(art, "203.0.113.9").get("/api/v1/instance")
    assert outside.status_code == 200 and budget(outside)[1] == 2  # another address: a fresh budget


def client_of(art: Instance, address: str) -> httpx.AsyncClient:
    """A signed-out client at another address (httpx's ASGI transport names the client in the scope)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=art.app, client=(address, 4000)), base_url=art.base)


async def test_only_the_api_counts_and_preflights_are_free(network: Network) -> None:
    art, _clock = await limited_instance(network, limit=2)
    async with api(art) as client:
        for _ in range(4):
            preflight = await client.options("/api/v1/instance", headers={
                **ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
            assert preflight.status_code == 200
        page = await client.get("/.well-known/nodeinfo")
        counted = await client.get("/api/v1/instance")
    assert "x-ratelimit-limit" not in page.headers
    assert budget(counted)[:2] == (2, 1)


@pytest.mark.parametrize("kind", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_the_limiter_says_what_is_left_and_when_the_window_ends(kind: str) -> None:
    if kind == "redis" and not REDIS_URL:
        pytest.skip("needs Redis: set FEDIVERSE_TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    clock = StepClock(6000.0 + 15)
    limiter = MemoryLimiter(clock) if kind == "memory" else RedisLimiter(REDIS_URL, f"fvtest:{uuid.uuid4().hex}", clock)
    try:
        taken = [await limiter.take("api", "k", 2, 300) for _ in range(3)]
        assert [(b.count, b.remaining, b.reset_at, b.wait) for b in taken] == [
            (1, 1, 6300, None), (2, 0, 6300, None), (3, 0, 6300, 285)]
        assert (await limiter.take("api", "k", 2, 300)).remaining == 0  # refused again (Redis: without a round trip)
        clock.advance(285)
        fresh = await limiter.take("api", "k", 2, 300)
        assert (fresh.count, fresh.remaining, fresh.reset_at, fresh.wait) == (1, 1, 6600, None)
    finally:
        await limiter.aclose()
