"""The client API without a token, as an app sees it: every answer decodes as Mastodon.py declares its entities,
signed-out viewers see only public and unlisted posts, lists page with Link headers, bad input is a JSON 4xx."""

from __future__ import annotations

import re

import pytest

from fediverse import __version__
from tests.api.mastodon_types import assert_entities, assert_entity, problems
from tests.api.world import World, make_world, note
from tests.support import Network

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture
async def world(network: Network) -> World:
    return await make_world(network)


def ids(answer: list[dict]) -> list[int]:  # type: ignore[type-arg]
    return [int(status["id"]) for status in answer]


async def test_every_answer_decodes_as_mastodon_py_declares_its_entities(world: World) -> None:
    w = world
    v1 = (await w.get("/api/v1/instance")).json()
    assert_entity("Instance", v1)
    assert v1["version"] == f"4.2.0 (compatible; fediverse {__version__})" and v1["uri"] == "art.test"
    v2 = (await w.get("/api/v2/instance")).json()
    assert_entity("InstanceV2", v2)
    assert v2["domain"] == "art.test" and v2["configuration"]["statuses"]["max_media_attachments"] > 0
    timeline = (await w.get("/api/v1/timelines/public")).json()
    assert_entities("Status", timeline)
    alice = next(s["account"] for s in timeline if s["account"]["acct"] == "alice")
    assert_entity("Account", (await w.get(f"/api/v1/accounts/{alice['id']}")).json())
    assert_entity("Account", (await w.get("/api/v1/accounts/lookup", acct="alice")).json())
    assert_entities("Status", (await w.get(f"/api/v1/accounts/{alice['id']}/statuses")).json())
    assert_entities("Status", (await w.get("/api/v1/timelines/tag/ink")).json())
    for name in ("alice_work", "erin_work", "public_note", "boost", "reply"):
        assert_entity("Status", (await w.get(f"/api/v1/statuses/{w.ids[name]}")).json())
    assert_entity("Context", (await w.get(f"/api/v1/statuses/{w.ids['alice_work']}/context")).json())
    for path in ("custom_emojis", "announcements", "trends/tags", "trends/statuses", "trends/links"):
        answer = await w.get(f"/api/v1/{path}")
        assert answer.status_code == 200 and answer.json() == []


async def test_a_work_is_a_status_with_its_images_alt_text_focus_licence_and_consent(world: World) -> None:
    status = (await world.get(f"/api/v1/statuses/{world.ids['alice_work']}")).json()
    assert status["id"] == str(world.ids["alice_work"]) and TIME.match(status["created_at"])
    assert "<strong>Harbour studies</strong>" in status["content"] and status["visibility"] == "public"
    assert status["url"].startswith("https://art.test/@alice/")  # the work page
    assert [m["description"] for m in status["media_attachments"]] == ["Study number 0", "Study number 1"]
    first = status["media_attachments"][0]
    assert first["type"] == "image" and first["url"].startswith("https://art.test/media/")
    assert first["meta"]["original"]["width"] == 640 and first["meta"]["focus"] == {"x": pytest.approx(-0.3), "y": pytest.approx(0.2)}
    assert first["blurhash"] and status["pinned"] is True and status["tags"][0]["name"] == "ink"
    assert status["fediverse"]["license_url"] == "https://creativecommons.org/licenses/by-nc-nd/4.0/"
    assert set(status["fediverse"]["consent"]) == {"ai_training", "tdm_reserved", "ai_input", "search"}
    account = status["account"]
    assert account["acct"] == "alice" and account["avatar"] == "https://art.test/static/avatar.png"
    assert (await world.art.client().get("/static/avatar.png")).status_code == 200
    text = (await world.get(f"/api/v1/statuses/{world.ids['public_note']}")).json()
    assert text["tags"] == [{"name": "sketch", "url": "https://art.test/tags/sketch"}] and text["media_attachments"] == []
    assert text["fediverse"] is None and text["spoiler_text"] == "" and text["url"].startswith("https://art.test/")
    reply = (await world.get(f"/api/v1/statuses/{world.ids['reply']}")).json()
    assert reply["in_reply_to_id"] == status["id"] and reply["in_reply_to_account_id"] == account["id"]


async def test_a_remote_post_and_a_boost_of_it(world: World) -> None:
    remote = (await world.get(f"/api/v1/statuses/{world.ids['erin_work']}")).json()
    assert remote["account"]["acct"] == "erin@social.test" and remote["uri"].startswith("https://social.test/")
    assert remote["media_attachments"] and remote["media_attachments"][0]["remote_url"].startswith("https://social.test/")
    assert remote["reblogs_count"] == 1
    boost = (await world.get(f"/api/v1/statuses/{world.ids['boost']}")).json()
    assert boost["id"] == str(world.ids["boost"]) != remote["id"] and boost["account"]["acct"] == "alice"
    assert boost["reblog"]["id"] == remote["id"] and boost["content"] == ""


async def test_signed_out_viewers_never_see_followers_only_or_direct_posts(world: World) -> None:
    w = world
    for name in ("followers_note", "direct_note"):
        for path in (f"/api/v1/statuses/{w.ids[name]}", f"/api/v1/statuses/{w.ids[name]}/context"):
            answer = await w.get(path)
            assert answer.status_code == 404 and answer.json() == {"error": "Record not found"}
    alice = (await w.get("/api/v1/accounts/lookup", acct="alice")).json()
    shown = ids((await w.get(f"/api/v1/accounts/{alice['id']}/statuses")).json())
    assert w.ids["followers_note"] not in shown and w.ids["direct_note"] not in shown
    assert {w.ids["public_note"], w.ids["unlisted_note"], w.ids["alice_work"], w.ids["boost"]} <= set(shown)
    public = ids((await w.get("/api/v1/timelines/public")).json())
    assert w.ids["unlisted_note"] not in public and w.ids["boost"] not in public  # listings: public, no boosts
    assert {w.ids["public_note"], w.ids["alice_work"], w.ids["erin_work"]} <= set(public)
    assert (await w.get(f"/api/v1/statuses/{w.ids['unlisted_note']}")).status_code == 200
    context = (await w.get(f"/api/v1/statuses/{w.ids['alice_work']}/context")).json()
    assert ids(context["descendants"]) == [w.ids["reply"]] and context["ancestors"] == []
    deeper = await note(w.art, "alice", "A reply to the reply", in_reply_to=w.ids["reply"])
    hidden = await note(w.art, "alice", "Followers only reply", in_reply_to=w.ids["reply"], visibility="followers")
    context = (await w.get(f"/api/v1/statuses/{w.ids['alice_work']}/context")).json()
    assert ids(context["descendants"]) == [w.ids["reply"], deeper] and hidden not in ids(context["descendants"])
    below = (await w.get(f"/api/v1/statuses/{deeper}/context")).json()
    assert ids(below["ancestors"]) == [w.ids["alice_work"], w.ids["reply"]] and below["descendants"] == []


async def test_the_public_timeline_filters_local_remote_and_media(world: World) -> None:
    w = world
    local = ids((await w.get("/api/v1/timelines/public", local="true")).json())
    remote = ids((await w.get("/api/v1/timelines/public", remote="1")).json())
    media = ids((await w.get("/api/v1/timelines/public", only_media="true")).json())
    assert w.ids["alice_work"] in local and w.ids["erin_work"] not in local
    assert remote == [w.ids["erin_work"]]
    assert set(media) == {w.ids["alice_work"], w.ids["erin_work"]}
    assert ids((await w.get("/api/v1/timelines/tag/INK")).json()) == sorted(
        [w.ids["alice_work"], w.ids["erin_work"]], reverse=True)
    assert ids((await w.get("/api/v1/timelines/tag/ink", local="1")).json()) == [w.ids["alice_work"]]
    assert (await w.get("/api/v1/timelines/tag/nobody-used-this")).json() == []


async def test_account_statuses_filters(world: World) -> None:
    w = world
    alice = (await w.get("/api/v1/accounts/lookup", acct="@alice@art.test")).json()
    path = f"/api/v1/accounts/{alice['id']}/statuses"
    assert w.ids["boost"] not in ids((await w.get(path, exclude_reblogs="true")).json())
    assert w.ids["reply"] not in ids((await w.get(path, exclude_replies="true")).json())
    assert ids((await w.get(path, only_media="true")).json()) == [w.ids["alice_work"]]
    assert ids((await w.get(path, pinned="true")).json()) == [w.ids["alice_work"]]
    assert ids((await w.get(path, tagged="INK")).json()) == [w.ids["alice_work"]]
    assert (await w.get(path, tagged="#")).json() == []  # no tag at all
    erin = (await w.get("/api/v1/accounts/lookup", acct="erin@social.test")).json()
    assert erin["acct"] == "erin@social.test" and erin["url"].startswith("https://social.test/")
    assert ids((await w.get(f"/api/v1/accounts/{erin['id']}/statuses")).json()) == [w.ids["erin_work"]]
    assert alice["statuses_count"] >= 5 and alice["following_count"] == 1 and alice["last_status_at"]


async def test_pages_link_to_older_and_newer_pages_keeping_the_filters(world: World) -> None:
    w = world
    made = [await note(w.art, "dave", f"Note number {n}") for n in range(5)]
    newest_first = made[::-1]
    async with w.client() as client:
        first = await client.get("/api/v1/timelines/public", params={"local": "true", "limit": "2"})
        assert ids(first.json()) == newest_first[:2]
        links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["link"]))
        assert "local=true" in links["next"] and "limit=2" in links["next"] and f"max_id={made[3]}" in links["next"]
        assert f"min_id={made[4]}" in links["prev"]
        older = await client.get(links["next"])
        assert ids(older.json()) == newest_first[2:4]
        newer = await client.get("/api/v1/timelines/public", params={"local": "1", "min_id": str(made[0]), "limit": "2"})
        assert ids(newer.json()) == [made[2], made[1]]  # just after min_id, newest first
        since = await client.get("/api/v1/timelines/public", params={"local": "1", "since_id": str(made[0]), "limit": "2"})
        assert ids(since.json()) == [made[4], made[3]]  # the newest ones after since_id
        empty = await client.get("/api/v1/timelines/public", params={"max_id": "1"})
        assert empty.json() == [] and not re.search(r'rel="(next|prev)"', empty.headers.get("link", ""))


async def test_bad_input_is_a_clear_json_4xx_and_a_huge_limit_is_clamped(world: World) -> None:
    w = world
    async with w.client() as client:
        for path, code in (("/api/v1/statuses/abc", 404), ("/api/v1/statuses/99999999999999999999999", 404),
                           ("/api/v1/accounts/123456789", 404), ("/api/v1/accounts/lookup", 400),
                           ("/api/v1/accounts/lookup?acct=nobody", 404),
                           ("/api/v1/timelines/public?max_id=abc", 400),
                           ("/api/v1/timelines/public?max_id=99999999999999999999", 400),
                           ("/api/v1/timelines/public?limit=many", 400),
                           ("/api/v1/timelines/public?local=perhaps", 400),
                           (f"/api/v1/accounts/{w.ids['boost']}0/statuses?only_media=2", 404)):
            answer = await client.get(path)
            assert answer.status_code == code, (path, answer.status_code, answer.text)
            assert answer.headers["content-type"].startswith("application/json") and "error" in answer.json()
        huge = await client.get("/api/v1/timelines/public", params={"limit": "100000000000"})
        assert huge.status_code == 200 and len(huge.json()) <= 40
        negative = await client.get("/api/v1/timelines/public", params={"limit": "-5"})
        assert negative.status_code == 200 and len(negative.json()) == 1
        slash = await client.get("/api/v1/instance/")
        assert slash.status_code == 200 and slash.json()["uri"] == "art.test"


async def test_a_suspended_account_is_gone_from_the_api(world: World) -> None:
    from fediverse.models import Account, utcnow
    from sqlalchemy import update

    async with world.art.rt.sessions() as session:
        await session.execute(update(Account).where(Account.handle == "erin@social.test").values(suspended_at=utcnow()))
        await session.commit()
    assert (await world.get("/api/v1/accounts/lookup", acct="erin@social.test")).status_code == 404
    assert world.ids["erin_work"] not in ids((await world.get("/api/v1/timelines/public")).json())


async def test_the_directory_lists_discoverable_accounts(world: World) -> None:
    w = world
    active = (await w.get("/api/v1/directory")).json()
    assert_entities("Account", active)
    assert [a["acct"] for a in active] == ["alice", "erin@social.test", "dave"]  # latest post first; none last
    local = [a["acct"] for a in (await w.get("/api/v1/directory", local="true", order="new")).json()]
    assert set(local) == {"alice", "dave"} and "erin@social.test" not in local
    assert [a["acct"] for a in (await w.get("/api/v1/directory", limit="1", offset="1", order="new", local="1")).json()] == [local[1]]
    assert (await w.get("/api/v1/directory", order="random")).status_code == 400
    assert (await w.get("/api/v1/directory", offset="x")).status_code == 400
    assert (await w.get("/api/v1/directory", limit="100000")).status_code == 200


async def test_nodeinfo_names_mastodon_as_upstream(world: World) -> None:
    doc = (await world.get("/nodeinfo/2.0")).json()
    assert doc["metadata"]["upstream"] == {"name": "mastodon", "version": "4.2.0"}
    assert doc["software"]["name"] == "fediverse"


def test_the_validator_fails_on_a_missing_key_a_wrong_type_and_a_null() -> None:
    tag = {"name": "ink", "url": "https://art.test/tags/ink"}
    assert problems("Tag", tag) == []
    assert problems("Tag", {"name": "ink"}) == ["Tag.url: missing"]
    assert problems("Tag", {**tag, "name": 3}) == ["Tag.name: expected str, got 3"]
    assert problems("Tag", {**tag, "url": None}) == ["Tag.url: null but not nullable"]
    context = {"ancestors": [{"id": "1"}], "descendants": []}
    assert "Context.ancestors[0].uri: missing" in problems("Context", context)
    assert problems("Relationship", {"id": 1})[0] == "Relationship.id: expected a decimal string id, got 1"


async def test_the_same_listing_shows_a_signed_in_viewer_what_the_visibility_rule_lets_her_see(world: World) -> None:
    """The endpoints hand the token's account (request.state.api_account) to these services; signed out is None."""
    from fediverse.services import listings
    from tests.federation.helpers import user

    w = world
    seen = {}
    async with w.art.rt.sessions() as session:
        alice = (await session.merge(await user(w.art, "alice"))).account
        for name in ("alice", "dave", None):
            viewer = (await session.merge(await user(w.art, name))).account if name else None
            items = await listings.of_account(session, viewer, alice, listings.AccountFilter(), listings.Cursor(limit=40))
            seen[name] = {item.entry_id for item in items}
    private = {w.ids["followers_note"], w.ids["direct_note"]}
    assert private <= seen["alice"]
    assert w.ids["direct_note"] in seen["dave"] and w.ids["followers_note"] not in seen["dave"]  # mentioned, no follower
    assert not private & seen[None]
