"""Notifications from an app: a peer's favourite of our work (a Like over the network) arrives as type
``favourite``, follows and mentions as theirs; types/exclude_types/account_id filter, the list pages with Link,
and a person reads, dismisses and clears only her own (another's id is a 404)."""

from __future__ import annotations

import pytest

from fediverse.services import interactions
from tests.api.mastodon_types import assert_entities, assert_entity
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.api.world import World, make_world, note, status_of_uri
from tests.federation.helpers import act, user
from tests.federation.test_works_federation import post_work
from tests.support import Network


@pytest.fixture
async def world(network: Network) -> World:
    w = await make_world(network)
    await act(w.social, "follow", "erin", "alice@art.test")  # a follow notification from the peer
    await w.network.drain()
    work = await post_work(w.art, "alice", 1, title="Tide", description="For the peer")
    await w.network.drain()
    on_social = await status_of_uri(w.social, work.uri)
    async with w.social.rt.sessions() as session:  # erin favourites it on her server: a Like to art.test
        await interactions.like(w.social.rt, session, await session.merge(await user(w.social, "erin")), on_social)
    await w.network.drain()
    w.ids["tide"] = await status_of_uri(w.art, work.uri)
    w.ids["mention"] = await note(w.art, "dave", "@alice@art.test look at this")
    return w


async def listed(w: World, token: str, **params: object):  # type: ignore[no-untyped-def]
    async with w.client() as client:
        answer = await client.get("/api/v1/notifications", params=params or None, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return answer


async def test_the_peers_favourite_follow_and_a_mention_are_notifications(world: World) -> None:
    w = world
    token = await token_for(w.art, "alice")
    answer = await listed(w, token)
    found = answer.json()
    assert_entities("Notification", found)
    kinds = [(n["type"], n["account"]["acct"]) for n in found]
    assert ("favourite", "erin@social.test") in kinds and ("follow", "erin@social.test") in kinds
    assert ("mention", "dave") in kinds
    favourite = next(n for n in found if n["type"] == "favourite")
    assert favourite["status"]["id"] == str(w.ids["tide"]) and favourite["status"]["favourites_count"] == 1
    follow = next(n for n in found if n["type"] == "follow")
    assert follow["status"] is None
    mention = next(n for n in found if n["type"] == "mention")
    assert mention["status"]["id"] == str(w.ids["mention"])
    ids = [int(n["id"]) for n in found]
    assert ids == sorted(ids, reverse=True)

    assert [n["type"] for n in (await listed(w, token, **{"types[]": "favourite"})).json()] == ["favourite"]
    only = (await listed(w, token, **{"types[]": ["favourite", "follow", "nonsense"]})).json()
    assert sorted(n["type"] for n in only) == ["favourite", "follow"]
    assert (await listed(w, token, **{"types[]": "nonsense"})).json() == []
    rest = (await listed(w, token, **{"exclude_types[]": ["favourite", "follow"]})).json()
    assert "favourite" not in {n["type"] for n in rest} and "mention" in {n["type"] for n in rest}
    erin_id = favourite["account"]["id"]
    assert {n["account"]["acct"] for n in (await listed(w, token, account_id=erin_id)).json()} == {"erin@social.test"}

    first = await listed(w, token, limit=1)
    assert [n["id"] for n in first.json()] == [found[0]["id"]] and 'rel="next"' in first.headers["link"]
    second = await listed(w, token, limit=1, max_id=found[0]["id"])
    assert [n["id"] for n in second.json()] == [found[1]["id"]]
    newer = await listed(w, token, limit=1, min_id=found[2]["id"])
    assert [n["id"] for n in newer.json()] == [found[1]["id"]]
    assert (await listed(w, token, limit=100000)).json() == found

    async with w.client() as client:
        one = await client.get(f"/api/v1/notifications/{favourite['id']}", headers=bearer(token))
        assert one.status_code == 200
        assert_entity("Notification", one.json())
        count = await client.get("/api/v1/notifications/unread_count", headers=bearer(token))
        assert count.status_code == 200 and count.json()["count"] >= len(found)


async def test_a_person_reads_dismisses_and_clears_only_her_own(world: World) -> None:
    w = world
    alice, dave = await token_for(w.art, "alice"), await token_for(w.art, "dave")
    found = (await listed(w, alice)).json()
    mine = {n["id"] for n in (await listed(w, dave)).json()}  # alice's direct note mentions him
    assert found and not mine & {n["id"] for n in found}
    target = found[0]["id"]
    async with w.client() as client:
        assert (await client.get(f"/api/v1/notifications/{target}", headers=bearer(dave))).status_code == 404
        refused = await client.post(f"/api/v1/notifications/{target}/dismiss", headers=bearer(dave))
        assert refused.status_code == 404 and refused.json()["error"]
        assert (await client.post("/api/v1/notifications/clear", headers=bearer(dave))).status_code == 200
        assert (await listed(w, dave)).json() == []
        assert [n["id"] for n in (await listed(w, alice)).json()] == [n["id"] for n in found]

        reader = await token_for(w.art, "alice", "read")
        assert (await client.post(f"/api/v1/notifications/{target}/dismiss",
                                  headers=bearer(reader))).status_code == 403
        dismissed = await client.post(f"/api/v1/notifications/{target}/dismiss", headers=bearer(alice))
        assert dismissed.status_code == 200 and dismissed.json() == {}
        assert target not in [n["id"] for n in (await listed(w, alice)).json()]
        assert (await client.get(f"/api/v1/notifications/{target}", headers=bearer(alice))).status_code == 404
        for bad in ("99999999999999999999", "0"):
            assert (await client.get(f"/api/v1/notifications/{bad}", headers=bearer(alice))).status_code == 404
            assert (await client.post(f"/api/v1/notifications/{bad}/dismiss",
                                      headers=bearer(alice))).status_code == 404
        assert (await client.get("/api/v1/notifications", params={"account_id": "x"},
                                 headers=bearer(alice))).status_code == 400
        cleared = await client.post("/api/v1/notifications/clear", headers=bearer(alice))
        assert cleared.status_code == 200
    assert (await listed(w, alice)).json() == []


async def test_a_direct_mention_is_shown_to_the_person_addressed_only(world: World) -> None:
    w = world
    private = await note(w.art, "dave", "@alice@art.test just us", visibility="direct")
    alice, dave = await token_for(w.art, "alice"), await token_for(w.art, "dave")
    shown = [n["status"]["id"] for n in (await listed(w, alice)).json() if n["type"] == "mention"]
    assert str(private) in shown
    statuses = [n["status"]["id"] for n in (await listed(w, dave)).json() if n["status"]]
    assert str(private) not in statuses
