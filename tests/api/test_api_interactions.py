"""Favourite, reblog, bookmark and pin from an app, and their undo: each answers the Status with the caller's
flags and counts as they now are, favouriting a remote post delivers the same Like the web sends, the lists of
favourites and bookmarks are the caller's own, and nothing hidden from her can be acted on or listed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse.models import Account, Reaction
from tests.api.mastodon_types import assert_entities, assert_entity
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.api.world import World, make_world
from tests.support import Network


@pytest.fixture
async def world(network: Network) -> World:
    return await make_world(network)


async def post(w: World, token: str, path: str) -> dict:  # type: ignore[type-arg]
    async with w.client() as client:
        answer = await client.post(path, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def get(w: World, token: str, path: str, **params: object):  # type: ignore[no-untyped-def]
    async with w.client() as client:
        return await client.get(path, params=params or None, headers=bearer(token))


async def test_favourite_a_remote_post_delivers_the_like_and_answers_the_flags(world: World) -> None:
    w = world
    token = await token_for(w.art, "alice")
    erin = w.ids["erin_work"]
    liked = await post(w, token, f"/api/v1/statuses/{erin}/favourite")
    assert_entity("Status", liked)
    assert liked["id"] == str(erin) and liked["favourited"] is True and liked["favourites_count"] == 1
    again = await post(w, token, f"/api/v1/statuses/{erin}/favourite")  # nothing changes, same answer
    assert again["favourited"] is True and again["favourites_count"] == 1
    await w.network.drain()
    async with w.social.rt.sessions() as session:
        [reaction] = list(await session.scalars(select(Reaction).where(Reaction.kind == "like")))
        liker = await session.get(Account, reaction.account_id)
    assert liker is not None and liker.handle == "alice@art.test"

    assert_entities("Status", (await get(w, token, "/api/v1/favourites")).json())
    assert [s["id"] for s in (await get(w, token, "/api/v1/favourites")).json()] == [str(erin)]
    who = (await get(w, token, f"/api/v1/statuses/{erin}/favourited_by")).json()
    assert_entities("Account", who)
    assert [a["acct"] for a in who] == ["alice"]

    undone = await post(w, token, f"/api/v1/statuses/{erin}/unfavourite")
    assert undone["favourited"] is False and undone["favourites_count"] == 0
    assert (await post(w, token, f"/api/v1/statuses/{erin}/unfavourite"))["favourited"] is False
    await w.network.drain()
    async with w.social.rt.sessions() as session:
        assert list(await session.scalars(select(Reaction).where(Reaction.kind == "like"))) == []
    assert (await get(w, token, "/api/v1/favourites")).json() == []


async def test_reblog_answers_the_boost_and_unreblog_the_post(world: World) -> None:
    w = world
    token = await token_for(w.art, "dave")
    work = w.ids["alice_work"]
    boosted = await post(w, token, f"/api/v1/statuses/{work}/reblog")
    assert_entity("Status", boosted)
    assert boosted["reblog"]["id"] == str(work) and boosted["reblog"]["reblogged"] is True
    assert boosted["account"]["acct"] == "dave" and boosted["id"] != str(work)
    assert boosted["reblog"]["reblogs_count"] == 1
    who = (await get(w, token, f"/api/v1/statuses/{work}/reblogged_by")).json()
    assert_entities("Account", who)
    assert [a["acct"] for a in who] == ["dave"]
    undone = await post(w, token, f"/api/v1/statuses/{work}/unreblog")
    assert undone["id"] == str(work) and undone["reblogged"] is False and undone["reblogs_count"] == 0
    assert (await get(w, token, f"/api/v1/statuses/{work}/reblogged_by")).json() == []
    # a followers-only post cannot be boosted: 422, nothing made
    refused = await (w.client().post(f"/api/v1/statuses/{w.ids['followers_note']}/reblog",
                                     headers=bearer(await token_for(w.art, "alice"))))
    assert refused.status_code == 422 and "error" in refused.json()


async def test_bookmarks_are_private_and_listed_for_their_owner_only(world: World) -> None:
    w = world
    alice, dave = await token_for(w.art, "alice"), await token_for(w.art, "dave")
    for name in ("public_note", "erin_work"):
        marked = await post(w, alice, f"/api/v1/statuses/{w.ids[name]}/bookmark")
        assert marked["bookmarked"] is True
    listed = (await get(w, alice, "/api/v1/bookmarks")).json()
    assert_entities("Status", listed)
    assert [s["id"] for s in listed] == [str(w.ids["erin_work"]), str(w.ids["public_note"])]
    page = await get(w, alice, "/api/v1/bookmarks", limit=1)
    assert [s["id"] for s in page.json()] == [str(w.ids["erin_work"])] and 'rel="next"' in page.headers["link"]
    older = page.headers["link"].split("<")[1].split(">")[0].replace("https://art.test", "")
    assert [s["id"] for s in (await get(w, alice, older)).json()] == [str(w.ids["public_note"])]
    assert (await get(w, dave, "/api/v1/bookmarks")).json() == []
    assert (await get(w, dave, f"/api/v1/statuses/{w.ids['public_note']}")).json()["bookmarked"] is False
    assert (await post(w, alice, f"/api/v1/statuses/{w.ids['public_note']}/unbookmark"))["bookmarked"] is False
    assert (await post(w, alice, f"/api/v1/statuses/{w.ids['public_note']}/unbookmark"))["bookmarked"] is False
    assert [s["id"] for s in (await get(w, alice, "/api/v1/bookmarks")).json()] == [str(w.ids["erin_work"])]


async def test_pin_and_unpin_a_work_and_refuse_notes_and_others_posts(world: World) -> None:
    w = world
    alice, dave = await token_for(w.art, "alice"), await token_for(w.art, "dave")
    work = w.ids["alice_work"]  # pinned by the world
    assert (await post(w, alice, f"/api/v1/statuses/{work}/unpin"))["pinned"] is False
    assert (await post(w, alice, f"/api/v1/statuses/{work}/pin"))["pinned"] is True
    async with w.client() as client:
        note = await client.post(f"/api/v1/statuses/{w.ids['public_note']}/pin", headers=bearer(alice))
        assert note.status_code == 422 and "error" in note.json()
        others = await client.post(f"/api/v1/statuses/{work}/unpin", headers=bearer(dave))
        assert others.status_code == 422
    assert (await get(w, alice, f"/api/v1/statuses/{work}")).json()["pinned"] is True


async def test_hidden_statuses_cannot_be_acted_on_or_listed(world: World) -> None:
    w = world
    dave = await token_for(w.art, "dave")
    hidden = w.ids["followers_note"]  # dave does not follow alice
    async with w.client() as client:
        for action in ("favourite", "reblog", "bookmark", "pin"):
            answer = await client.post(f"/api/v1/statuses/{hidden}/{action}", headers=bearer(dave))
            assert answer.status_code == 404 and "error" in answer.json(), action
        for who in ("favourited_by", "reblogged_by"):
            assert (await client.get(f"/api/v1/statuses/{hidden}/{who}", headers=bearer(dave))).status_code == 404
            assert (await client.get(f"/api/v1/statuses/{hidden}/{who}")).status_code == 404
        # the author sees her own
        alice = await token_for(w.art, "alice")
        assert (await client.get(f"/api/v1/statuses/{hidden}/favourited_by", headers=bearer(alice))).json() == []
        # the direct note is for dave: he may favourite it
        direct = await client.post(f"/api/v1/statuses/{w.ids['direct_note']}/favourite", headers=bearer(dave))
        assert direct.status_code == 200 and direct.json()["favourited"] is True
    assert (await get(w, dave, "/api/v1/favourites")).json()[0]["id"] == str(w.ids["direct_note"])


async def test_bad_ids_scopes_and_tokens_are_clear_json_errors(world: World) -> None:
    w = world
    reader = await token_for(w.art, "alice", "read")
    async with w.client() as client:
        work = w.ids["alice_work"]
        for path in (f"/api/v1/statuses/{work}/favourite", f"/api/v1/statuses/{work}/bookmark",
                     f"/api/v1/statuses/{work}/reblog", f"/api/v1/statuses/{work}/pin"):
            refused = await client.post(path, headers=bearer(reader))
            assert refused.status_code == 403 and refused.json()["error"], path
        assert (await client.post(f"/api/v1/statuses/{work}/favourite")).status_code == 401
        writer = await token_for(w.art, "alice", "write:favourites")
        for bad in ("99999999999999999999999", "0", "12345"):
            answer = await client.post(f"/api/v1/statuses/{bad}/favourite", headers=bearer(writer))
            assert answer.status_code == 404 and "error" in answer.json(), bad
        assert (await client.post("/api/v1/statuses/abc/favourite", headers=bearer(writer))).status_code == 404
        huge = await client.get("/api/v1/favourites", params={"limit": "100000"}, headers=bearer(reader))
        assert huge.status_code == 200
        assert (await client.get("/api/v1/favourites", params={"limit": "x"}, headers=bearer(reader))).status_code == 400
        assert (await client.get("/api/v1/bookmarks", headers=bearer(writer))).status_code == 403
