"""AI crawler user agents are refused on the pages, documents and media of artists who refuse them."""

from __future__ import annotations

import dataclasses

import httpx
from starlette.applications import Starlette

from fediverse.app import create_app, startup
from fediverse.config import ConsentSettings
from tests.federation.helpers import make_user
from tests.support import Instance, Network, RoutingTransport
from tests.web import AP_ACCEPT, post_work
from tests.web.test_consent_headers import ALICE, BOB, expect_alice, expect_bob, set_consent, three_artists

GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


async def test_ai_crawlers_are_refused_for_an_opted_out_artist_and_allowed_for_an_opted_in_one(network: Network) -> None:
    art = await three_artists(network)
    alice_work = await post_work(art, "alice", seed=1)
    bob_work = await post_work(art, "bob", seed=2)
    alice_paths = ["/@alice", f"/@alice/{alice_work.public_id}", "/@alice/feed.atom",
                   art.rt.uris.media(alice_work.images[0].large_key)]
    bob_paths = ["/@bob", f"/@bob/{bob_work.public_id}", "/@bob/feed.rss", art.rt.uris.media(bob_work.images[0].large_key)]
    async with art.client() as client:
        for path in alice_paths:
            refused = await client.get(path, headers={"User-Agent": GPTBOT})
            assert refused.status_code == 403, path
            assert refused.headers["content-type"] == "text/plain; charset=utf-8"
            assert "does not allow AI crawlers" in refused.text
            assert refused.headers["cache-control"] == "private, no-store"
            expect_alice(refused)  # the refusal still carries the signals
            head = await client.head(path, headers={"User-Agent": "ClaudeBot/1.0"})
            assert head.status_code == 403 and head.content == b""
            expect_alice(head)
            assert (await client.get(path, headers={"User-Agent": BROWSER})).status_code == 200, path
        actor = await client.get("/users/alice", headers={**AP_ACCEPT, "User-Agent": "CCBot/2.0"})
        assert actor.status_code == 403
        for path in bob_paths:
            allowed = await client.get(path, headers={"User-Agent": GPTBOT})
            assert allowed.status_code == 200, path
            expect_bob(allowed)
        # carol keeps the instance default, which refuses AI crawlers too
        assert (await client.get("/@carol", headers={"User-Agent": GPTBOT})).status_code == 403
        # the rules stay readable: that is how a crawler learns them
        for path in ("/robots.txt", "/.well-known/tdmrep.json", "/ai.txt", "/policies/tdm", "/policies/tdm/alice"):
            assert (await client.get(path, headers={"User-Agent": GPTBOT})).status_code == 200, path
        # a cached answer (web/cache.py) is not handed to the crawler either
        assert (await client.get("/users/alice", headers=AP_ACCEPT)).status_code == 200
        assert (await client.get("/users/alice", headers={**AP_ACCEPT, "User-Agent": GPTBOT})).status_code == 403
        # an opt-in takes effect at once
        await set_consent(art, "alice", BOB)
        assert (await client.get(alice_paths[0], headers={"User-Agent": GPTBOT})).status_code == 200
        await set_consent(art, "alice", ALICE)
        assert (await client.get(alice_paths[3], headers={"User-Agent": GPTBOT})).status_code == 403


@dataclasses.dataclass(frozen=True)
class _Consent(ConsentSettings):
    """ConsentSettings with the refuse_ai_crawlers switch (config.py gains this field; here it is forced)."""

    refuse_ai_crawlers: bool = True


async def _instance(network: Network, domain: str, refuse: bool) -> Instance:
    settings = await network.settings_for(domain)
    consent = _Consent(**dataclasses.asdict(settings.consent) | {"refuse_ai_crawlers": refuse})
    app: Starlette = create_app(dataclasses.replace(settings, consent=consent), transport=RoutingTransport(network))
    await startup(app)
    network.apps[domain] = httpx.ASGITransport(app=app)
    instance = Instance(domain, app, network)
    network.instances.append(instance)
    return instance


async def test_refusal_can_be_switched_off_per_instance(network: Network) -> None:
    off = await _instance(network, "open.test", refuse=False)
    on = await _instance(network, "closed.test", refuse=True)
    for instance in (off, on):
        await make_user(instance, "alice")
        await set_consent(instance, "alice", ALICE)
    async with off.client() as client:
        response = await client.get("/@alice", headers={"User-Agent": GPTBOT})
    assert response.status_code == 200
    assert response.headers["x-robots-tag"] == "noai, noimageai, noarchive, noindex, noimageindex"
    async with on.client() as client:
        assert (await client.get("/@alice", headers={"User-Agent": GPTBOT})).status_code == 403
