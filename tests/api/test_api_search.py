"""``GET /api/v2/search`` on two in-process instances: what it finds, what ``resolve`` fetches (and only for a
signed-in caller), and what it never shows (followers-only posts, other people's direct posts)."""

from __future__ import annotations

from sqlalchemy import select

from fediverse.models import LocalNote
from tests.api.mastodon_types import assert_entity
from tests.api.oauth_client import bearer
from tests.api.test_public_api_signed_in import token_for
from tests.api.world import World, make_world, note
from tests.federation.helpers import make_user
from tests.support import Instance, Network


async def _uri_of_note(instance: Instance, public_id: int) -> str:
    async with instance.rt.sessions() as session:
        return str(await session.scalar(select(LocalNote.uri).where(LocalNote.public_id == str(public_id))))


async def _search(w: World, token: str | None = None, **params: str) -> dict[str, list[dict[str, object]]]:
    async with w.client() as client:
        answer = await client.get("/api/v2/search", params=params, headers=bearer(token) if token else {})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_search_finds_works_by_text_accounts_and_tags_with_every_entity_whole(network: Network) -> None:
    w = await make_world(network)
    found = await _search(w, q="Harbour studies")
    assert [int(s["id"]) for s in found["statuses"]] == [w.ids["alice_work"]]
    for status in found["statuses"]:
        assert_entity("Status", status)

    people = await _search(w, q="alice", type="accounts")
    assert [a["acct"] for a in people["accounts"]] == ["alice"] and people["statuses"] == people["hashtags"] == []
    assert_entity("Account", people["accounts"][0])

    tags = await _search(w, q="ink", type="hashtags")
    assert [t["name"] for t in tags["hashtags"]] == ["ink"]
    assert_entity("Tag", tags["hashtags"][0])

    known = await _search(w, q="erin@social.test")  # held here (alice follows her): found without a fetch
    assert [a["acct"] for a in known["accounts"]] == ["erin@social.test"]


async def test_resolve_fetches_a_remote_account_and_post_for_a_signed_in_caller_only(network: Network) -> None:
    w = await make_world(network)
    await make_user(w.social, "frank")
    public = await _uri_of_note(w.social, await note(w.social, "frank", "Frank's public lighthouse"))
    hidden = await _uri_of_note(w.social, await note(w.social, "frank", "Frank's inner circle",
                                                     visibility="followers"))
    dave = await token_for(w, "dave")

    assert (await _search(w, q="frank@social.test", resolve="true"))["accounts"] == []  # signed out: no fetch
    assert (await _search(w, dave, q="frank@social.test"))["accounts"] == []  # no resolve: no fetch
    resolved = await _search(w, dave, q="frank@social.test", resolve="true")
    assert [a["acct"] for a in resolved["accounts"]] == ["frank@social.test"]

    assert (await _search(w, q=public, resolve="true"))["statuses"] == []
    post = (await _search(w, dave, q=public, resolve="true"))["statuses"]
    assert len(post) == 1 and "lighthouse" in str(post[0]["content"]) and post[0]["uri"] == public
    assert_entity("Status", post[0])
    assert (await _search(w, q=public))["statuses"] == post  # stored now: anyone finds the public post by its id

    assert (await _search(w, dave, q=hidden, resolve="true"))["statuses"] == []  # followers-only: never stored


async def test_a_post_url_finds_nothing_its_viewer_may_not_see(network: Network) -> None:
    w = await make_world(network)
    followers = await _uri_of_note(w.art, w.ids["followers_note"])
    direct = await _uri_of_note(w.art, w.ids["direct_note"])
    tokens = {name: await token_for(w, name) for name in ("alice", "dave")}
    assert (await _search(w, q=followers))["statuses"] == []
    assert (await _search(w, tokens["dave"], q=followers, resolve="true"))["statuses"] == []
    assert [int(s["id"]) for s in (await _search(w, tokens["alice"], q=followers))["statuses"]] == [
        w.ids["followers_note"]]
    assert [int(s["id"]) for s in (await _search(w, tokens["dave"], q=direct))["statuses"]] == [w.ids["direct_note"]]
    assert (await _search(w, q=direct))["statuses"] == []


async def test_bad_search_input_is_a_clear_error(network: Network) -> None:
    w = await make_world(network)
    async with w.client() as client:
        for params, status, words in (
            ({"q": "ink", "type": "people"}, 400, "type must be one of"),
            ({"q": "ink", "resolve": "maybe"}, 400, "resolve must be true or false"),
            ({"q": "ink", "limit": "many"}, 400, "limit must be a number"),
            ({"q": "ink", "offset": "-3"}, 400, "offset must not be negative"),
            ({"q": "ink", "offset": "20"}, 401, "without authentication"),
            ({"q": "x" * 500}, 422, "limited to 200 characters"),
        ):
            answer = await client.get("/api/v2/search", params=params)
            assert answer.status_code == status and words in answer.json()["error"], (params, answer.text)
        refused = await client.get("/api/v2/search", params={"q": "ink"}, headers=bearer("no-such-token"))
        assert refused.status_code == 401
    capped = await _search(w, q="a", limit="100000")
    assert len(capped["accounts"]) <= 40
