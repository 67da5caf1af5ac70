"""The home timeline from an app: the same posts the web /home shows (followed accounts and her own, each as
she may see it), paged by max_id/since_id/min_id with Link; markers keep where she stopped; the signed-in
start-up calls answer honest empty lists."""

from __future__ import annotations

import pytest

from fediverse.models import Account
from fediverse.services import timelines
from tests.api.mastodon_types import assert_entities, assert_entity
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.api.world import World, make_world, note
from tests.federation.helpers import act, user
from tests.support import Network


@pytest.fixture
async def world(network: Network) -> World:
    return await make_world(network)


async def home(w: World, token: str, **params: object):  # type: ignore[no-untyped-def]
    async with w.client() as client:
        return await client.get("/api/v1/timelines/home", params=params or None, headers=bearer(token))


def ids(answer) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(s["id"]) for s in answer.json()]


async def test_home_is_the_web_home_with_paging_and_link(world: World) -> None:
    w = world
    token = await token_for(w.art, "alice")
    answer = await home(w, token, limit=40)
    assert answer.status_code == 200
    assert_entities("Status", answer.json())
    async with w.art.rt.sessions() as session:
        alice = await session.get(Account, (await user(w.art, "alice")).account_id)
        web = await timelines.home(session, alice, limit=40)
    assert ids(answer) == [item.entry_id for item in web.items]
    for name in ("alice_work", "followers_note", "direct_note", "boost", "erin_work", "public_note"):
        assert w.ids[name] in ids(answer), name
    everything = ids(answer)
    assert everything == sorted(everything, reverse=True)

    first = await home(w, token, limit=2)
    assert ids(first) == everything[:2] and 'rel="next"' in first.headers["link"]
    older = await home(w, token, limit=2, max_id=everything[1])
    assert ids(older) == everything[2:4]
    newer = await home(w, token, limit=2, min_id=everything[4])  # the two just newer, newest first
    assert ids(newer) == everything[2:4]
    since = await home(w, token, limit=2, since_id=everything[4])  # the newest two
    assert ids(since) == everything[:2]
    assert ids(await home(w, token, since_id=everything[0])) == []
    assert (await home(w, token, limit=100000)).status_code == 200
    assert (await home(w, token, max_id="abc")).status_code == 400


async def test_others_private_posts_stay_out_of_a_non_followers_home(world: World) -> None:
    w = world
    dave = await token_for(w.art, "dave")
    assert ids(await home(w, dave)) == []  # follows nobody
    await act(w.art, "follow", "dave", "alice@art.test")
    seen = ids(await home(w, dave))
    assert w.ids["public_note"] in seen and w.ids["followers_note"] in seen and w.ids["direct_note"] in seen
    later = await note(w.art, "alice", "@erin@social.test for erin only", visibility="direct")
    seen = ids(await home(w, dave))
    assert later not in seen  # direct to someone else: never
    reader = await token_for(w.art, "dave", "read:accounts")
    assert (await home(w, reader)).status_code == 403
    async with w.client() as client:
        assert (await client.get("/api/v1/timelines/home")).status_code == 401


async def test_markers_are_saved_and_read_per_person(world: World) -> None:
    w = world
    alice, dave = await token_for(w.art, "alice"), await token_for(w.art, "dave")
    async with w.client() as client:
        empty = await client.get("/api/v1/markers", params={"timeline[]": ["home", "notifications"]},
                                 headers=bearer(alice))
        assert empty.status_code == 200 and empty.json() == {}
        saved = await client.post("/api/v1/markers", json={"home": {"last_read_id": str(w.ids["public_note"])}},
                                  headers=bearer(alice))
        assert saved.status_code == 200, saved.text
        assert_entity("Marker", saved.json()["home"])
        assert saved.json()["home"]["last_read_id"] == str(w.ids["public_note"]) and saved.json()["home"]["version"] == 0
        form = await client.post("/api/v1/markers", data={"home[last_read_id]": "5", "notifications[last_read_id]": "7"},
                                 headers=bearer(alice))
        assert form.status_code == 200 and form.json()["home"]["version"] == 1
        read = (await client.get("/api/v1/markers", params={"timeline[]": ["home", "notifications"]},
                                 headers=bearer(alice))).json()
        assert read["home"]["last_read_id"] == "5" and read["notifications"]["last_read_id"] == "7"
        assert (await client.get("/api/v1/markers", params={"timeline[]": "home"}, headers=bearer(dave))).json() == {}
        for bad in ({"home": {"last_read_id": "x"}}, {}, {"home": {"last_read_id": True}}):
            refused = await client.post("/api/v1/markers", json=bad, headers=bearer(alice))
            assert refused.status_code == 400 and "error" in refused.json(), bad
        broken = await client.post("/api/v1/markers", content=b"{", headers={**bearer(alice),
                                                                             "content-type": "application/json"})
        assert broken.status_code == 400
        reader = await token_for(w.art, "alice", "read")
        assert (await client.post("/api/v1/markers", data={"home[last_read_id]": "9"},
                                  headers=bearer(reader))).status_code == 403
        assert (await client.get("/api/v1/markers", params={"timeline[]": "home"},
                                 headers=bearer(alice))).json()["home"]["last_read_id"] == "5"


async def test_signed_in_start_up_calls_answer_empty_lists(world: World) -> None:
    w = world
    token = await token_for(w.art, "alice")
    async with w.client() as client:
        for path in ("/api/v1/lists", "/api/v1/filters", "/api/v2/filters", "/api/v1/followed_tags",
                     "/api/v1/endorsements", "/api/v1/domain_blocks", "/api/v1/lists/"):
            answer = await client.get(path, headers=bearer(token))
            assert answer.status_code == 200 and answer.json() == [], path
            assert (await client.get(path)).status_code == 401, path
        push = await client.get("/api/v1/push/subscription", headers=bearer(token))
        assert push.status_code == 404 and push.json()["error"]
        reader = await token_for(w.art, "alice", "read")
        assert (await client.get("/api/v1/push/subscription", headers=bearer(reader))).status_code == 403
