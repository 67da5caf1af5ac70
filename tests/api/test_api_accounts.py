"""The signed-in account endpoints, in process: verify and update credentials (validated and federated as the
studio's profile form is), preferences, relationships, followers and follows lists, account search, follow and
unfollow (local and remote), and follow requests — with scopes, bad tokens, malformed ids and other people's
requests refused, and nothing changed by a refused request."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from tests.api.mastodon_types import assert_entities, assert_entity
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.api.world import World, make_world
from tests.federation.helpers import act, edge_state, make_user, user
from tests.support import Network

ALL = ["read", "write", "follow"]


async def token(w: World, username: str, scopes: list[str] | None = None) -> dict[str, str]:
    """A bearer header for this person with these scopes (tests.api.tokens)."""
    return bearer(await token_for(w.art, username, " ".join(scopes or ALL)))


async def account_id(w: World, username: str) -> int:
    return (await user(w.art, username)).account_id


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 300), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


async def call(w: World, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    async with w.client() as client:
        return await client.request(method, path, headers=headers, **kwargs)


async def test_verify_credentials_gives_the_account_with_its_source(network: Network) -> None:
    w = await make_world(network)
    alice = await token(w, "alice")
    answer = await call(w, "GET", "/api/v1/accounts/verify_credentials", alice)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert_entity("Account", doc)
    assert_entity("CredentialAccountSource", doc["source"])
    assert doc["username"] == "alice" and doc["id"] == str(await account_id(w, "alice"))
    assert doc["source"]["privacy"] == "public" and doc["source"]["follow_requests_count"] == 0
    assert (await call(w, "GET", "/api/v1/accounts/verify_credentials/", alice)).json()["id"] == doc["id"]
    assert (await call(w, "GET", "/api/v1/accounts/verify_credentials", await token(w, "alice", ["profile"]))
            ).status_code == 200

    unknown = await call(w, "GET", "/api/v1/accounts/verify_credentials", bearer("nope"))
    assert unknown.status_code == 401 and unknown.json() == {"error": "The access token is invalid"}
    assert (await call(w, "GET", "/api/v1/accounts/verify_credentials", {})).status_code == 401
    wrong = await call(w, "GET", "/api/v1/accounts/verify_credentials", await token(w, "alice", ["write"]))
    assert wrong.status_code == 403 and "error" in wrong.json()


async def test_preferences(network: Network) -> None:
    w = await make_world(network)
    answer = await call(w, "GET", "/api/v1/preferences", await token(w, "dave", ["read:accounts"]))
    assert answer.status_code == 200
    prefs = answer.json()
    assert prefs["posting:default:visibility"] == "public" and prefs["posting:default:language"] is None
    assert_entity("Preferences", {k.replace(":", "_"): v for k, v in prefs.items()})
    assert (await call(w, "GET", "/api/v1/preferences", await token(w, "dave", ["write"]))).status_code == 403


async def test_update_credentials_saves_validates_and_federates_the_profile(network: Network) -> None:
    w = await make_world(network)
    await act(w.social, "follow", "erin", "alice@art.test")  # erin's server should hear of the change
    await network.drain()
    alice = await token(w, "alice")
    answer = await call(w, "PATCH", "/api/v1/accounts/update_credentials", alice, data={
        "display_name": "Alice Ink", "note": "Draws harbours.\nhttps://alice.example", "locked": "true",
        "fields_attributes[0][name]": "Site", "fields_attributes[0][value]": "https://alice.example",
        "fields_attributes[1][name]": "Pronouns", "fields_attributes[1][value]": "she/her",
        "source[privacy]": "unlisted", "source[sensitive]": "false", "source[language]": "en"})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert_entity("Account", doc)
    assert doc["display_name"] == "Alice Ink" and doc["locked"] is True
    assert doc["source"]["note"] == "Draws harbours.\nhttps://alice.example"
    assert [(f["name"], f["value"]) for f in doc["source"]["fields"]] == [("Site", "https://alice.example"),
                                                                          ("Pronouns", "she/her")]
    await network.drain()
    async with w.social.rt.sessions() as session:
        from fediverse.db import accounts as account_db
        seen = await account_db.remote_by_handle(session, "alice@art.test")
        assert seen is not None and seen.display_name == "Alice Ink" and seen.manually_approves_followers

    pictures = await call(w, "PATCH", "/api/v1/accounts/update_credentials", alice,
                          files={"avatar": ("me.jpg", jpeg(), "image/jpeg"), "header": ("h.jpg", jpeg(), "image/jpeg")},
                          data={"display_name": "Alice"})
    assert pictures.status_code == 200, pictures.text
    shown = pictures.json()
    assert "/static/" not in shown["avatar"] and "/static/" not in shown["header"]
    assert (await call(w, "GET", shown["avatar"].split(w.art.base, 1)[1], {})).status_code == 200
    json_body = await call(w, "PATCH", "/api/v1/accounts/update_credentials", alice,
                           json={"note": "JSON bio", "locked": False,
                                 "fields_attributes": [{"name": "Shop", "value": "https://shop.example"}]})
    assert json_body.status_code == 200, json_body.text
    assert json_body.json()["locked"] is False and json_body.json()["fields"][0]["name"] == "Shop"

    before = (await call(w, "GET", "/api/v1/accounts/verify_credentials", alice)).json()
    for bad in ({"display_name": "x" * 101}, {"note": "y" * 5001},
                {"fields_attributes[0][name]": "Site", "fields_attributes[0][value]": ""},
                {"locked": "maybe"}, {"source[privacy]": "everyone"}, {"source[language]": "English!"},
                {**{f"fields_attributes[{n}][name]": f"n{n}" for n in range(9)},
                 **{f"fields_attributes[{n}][value]": "v" for n in range(9)}}):
        refused = await call(w, "PATCH", "/api/v1/accounts/update_credentials", alice,
                             data={"display_name": "Changed?", **bad})
        assert refused.status_code == 422 and "error" in refused.json(), (bad, refused.text)
    not_image = await call(w, "PATCH", "/api/v1/accounts/update_credentials", alice,
                           files={"avatar": ("x.jpg", b"not an image", "image/jpeg")}, data={"display_name": "Changed?"})
    assert not_image.status_code == 422 and "avatar" in not_image.json()["error"]
    broken = await call(w, "PATCH", "/api/v1/accounts/update_credentials",
                        {**alice, "Content-Type": "application/json"}, content=b"{broken")
    assert broken.status_code == 400
    assert (await call(w, "GET", "/api/v1/accounts/verify_credentials", alice)).json() == before  # nothing changed

    read_only = await call(w, "PATCH", "/api/v1/accounts/update_credentials", await token(w, "alice", ["read"]),
                           data={"display_name": "Nope"})
    assert read_only.status_code == 403
    assert (await call(w, "PATCH", "/api/v1/accounts/update_credentials", bearer("gone"),
                       data={"display_name": "Nope"})).status_code == 401
    assert (await call(w, "GET", "/api/v1/accounts/verify_credentials", alice)).json()["display_name"] == "Alice"


async def test_relationships_followers_and_following(network: Network) -> None:
    w = await make_world(network)
    alice_id, dave_id = await account_id(w, "alice"), await account_id(w, "dave")
    await act(w.art, "follow", "dave", "alice@art.test")
    alice = await token(w, "alice")
    async with w.art.rt.sessions() as session:
        from fediverse.db import accounts as account_db
        erin = await account_db.remote_by_handle(session, "erin@social.test")
        assert erin is not None
        erin_id = erin.id

    answer = await call(w, "GET", "/api/v1/accounts/relationships", alice,
                        params=[("id[]", str(erin_id)), ("id[]", str(dave_id)), ("id[]", "999999")])
    assert answer.status_code == 200, answer.text
    rels = answer.json()
    assert_entities("Relationship", rels)
    assert [r["id"] for r in rels] == [str(erin_id), str(dave_id)]  # an unknown id is left out
    assert rels[0]["following"] and not rels[0]["followed_by"] and rels[0]["showing_reblogs"]
    assert rels[1]["followed_by"] and not rels[1]["following"] and not rels[1]["requested"]
    assert set(rels[0]) >= {"following", "showing_reblogs", "notifying", "followed_by", "blocking", "blocked_by",
                            "muting", "muting_notifications", "requested", "requested_by", "domain_blocking",
                            "endorsed", "note"}
    assert (await call(w, "GET", "/api/v1/accounts/relationships", alice, params={"id[]": "abc"})).status_code == 400
    assert (await call(w, "GET", "/api/v1/accounts/relationships", await token(w, "alice", ["write"]),
                       params={"id[]": str(dave_id)})).status_code == 403

    following = await call(w, "GET", f"/api/v1/accounts/{alice_id}/following", {})  # public, as the AP collection
    assert following.status_code == 200
    assert_entities("Account", following.json())
    assert [a["acct"] for a in following.json()] == ["erin@social.test"]
    followers = await call(w, "GET", f"/api/v1/accounts/{alice_id}/followers/", alice)
    assert [a["username"] for a in followers.json()] == ["dave"]

    await act(w.art, "follow", "dave", "erin@social.test")
    await network.drain()
    await make_user(w.art, "fern")
    await act(w.art, "follow", "fern", "erin@social.test")
    await network.drain()
    page = await call(w, "GET", f"/api/v1/accounts/{erin_id}/followers", alice, params={"limit": "2"})
    assert [a["username"] for a in page.json()] == ["fern", "dave"]
    assert 'rel="next"' in page.headers["link"] and "limit=2" in page.headers["link"]
    next_url = page.headers["link"].split(">")[0].lstrip("<")
    older = await call(w, "GET", next_url.split(w.art.base, 1)[1], alice)
    assert [a["username"] for a in older.json()] == ["alice"]
    prev_url = older.headers["link"].split('rel="next", <')[1].split(">")[0]
    assert [a["username"] for a in (await call(w, "GET", prev_url.split(w.art.base, 1)[1], alice)).json()] == \
        ["fern", "dave"]

    for bad in ("abc", "99999999999999999999", "0", "123456"):
        missing = await call(w, "GET", f"/api/v1/accounts/{bad}/followers", alice)
        assert missing.status_code == 404 and "error" in missing.json(), bad
    assert (await call(w, "GET", f"/api/v1/accounts/{alice_id}/followers", alice,
                       params={"limit": "lots"})).status_code == 400
    assert (await call(w, "GET", f"/api/v1/accounts/{alice_id}/followers", bearer("bad"))).status_code == 401


async def test_a_locked_account_gets_requests_only_it_can_answer(network: Network) -> None:
    w = await make_world(network)
    alice_id, dave_id = await account_id(w, "alice"), await account_id(w, "dave")
    alice, dave = await token(w, "alice"), await token(w, "dave")
    locked = await call(w, "PATCH", "/api/v1/accounts/update_credentials", alice, data={"locked": "1"})
    assert locked.json()["locked"] is True

    asked = await call(w, "POST", f"/api/v1/accounts/{alice_id}/follow", dave)
    assert asked.status_code == 200, asked.text
    assert_entity("Relationship", asked.json())
    assert asked.json()["requested"] and not asked.json()["following"]
    # The request is alice's to see: not among her followers, not in anybody else's requests.
    assert (await call(w, "GET", f"/api/v1/accounts/{alice_id}/followers", dave)).json() == []
    assert (await call(w, "GET", "/api/v1/follow_requests", dave)).json() == []
    requests = await call(w, "GET", "/api/v1/follow_requests", alice)
    assert [a["username"] for a in requests.json()] == ["dave"]
    assert_entities("Account", requests.json())
    me = (await call(w, "GET", "/api/v1/accounts/verify_credentials", alice)).json()
    assert me["source"]["follow_requests_count"] == 1
    rel = (await call(w, "GET", "/api/v1/accounts/relationships", alice, params={"id[]": str(dave_id)})).json()[0]
    assert rel["requested_by"] and not rel["followed_by"]

    # dave cannot answer his own request, a wrong scope cannot answer, malformed ids are 404.
    assert (await call(w, "POST", f"/api/v1/follow_requests/{dave_id}/authorize", dave)).status_code == 404
    assert (await call(w, "POST", f"/api/v1/follow_requests/{dave_id}/authorize",
                       await token(w, "alice", ["read"]))).status_code == 403
    for bad in ("abc", "99999999999999999999", str(alice_id)):
        assert (await call(w, "POST", f"/api/v1/follow_requests/{bad}/authorize", alice)).status_code == 404
    assert (await call(w, "GET", "/api/v1/follow_requests", await token(w, "alice", ["write"]))).status_code == 403

    done = await call(w, "POST", f"/api/v1/follow_requests/{dave_id}/authorize", alice)
    assert done.status_code == 200 and done.json()["followed_by"] and not done.json()["requested_by"]
    assert (await call(w, "GET", "/api/v1/follow_requests", alice)).json() == []
    assert [a["username"] for a in (await call(w, "GET", f"/api/v1/accounts/{alice_id}/followers", dave)).json()] \
        == ["dave"]
    assert (await call(w, "POST", f"/api/v1/follow_requests/{dave_id}/authorize", alice)).status_code == 404

    gone = await call(w, "POST", f"/api/v1/accounts/{alice_id}/unfollow", dave)
    assert gone.status_code == 200 and not gone.json()["following"] and not gone.json()["requested"]
    await call(w, "POST", f"/api/v1/accounts/{alice_id}/follow", dave)
    rejected = await call(w, "POST", f"/api/v1/follow_requests/{dave_id}/reject", alice)
    assert rejected.status_code == 200 and not rejected.json()["requested_by"]
    assert (await call(w, "GET", "/api/v1/follow_requests", alice)).json() == []


async def test_follow_and_unfollow_local_and_remote(network: Network) -> None:
    w = await make_world(network)
    alice_id = await account_id(w, "alice")
    dave = await token(w, "dave")
    followed = await call(w, "POST", f"/api/v1/accounts/{alice_id}/follow", dave)
    assert followed.status_code == 200 and followed.json()["following"] is True  # alice is not locked
    assert (await call(w, "POST", f"/api/v1/accounts/{alice_id}/follow/", dave)).json()["following"]  # idempotent

    async with w.art.rt.sessions() as session:
        from fediverse.db import accounts as account_db
        erin = await account_db.remote_by_handle(session, "erin@social.test")
        assert erin is not None
        erin_id, erin_uri = erin.id, erin.uri
    dave_uri = (await user(w.art, "dave")).account.uri
    asked = await call(w, "POST", f"/api/v1/accounts/{erin_id}/follow", dave)
    assert asked.status_code == 200 and asked.json()["requested"] is True  # until erin's server accepts
    await network.drain()
    assert await edge_state(w.social, dave_uri, erin_uri) == "accepted"  # the Follow reached social.test
    rel = (await call(w, "GET", "/api/v1/accounts/relationships", dave, params={"id[]": str(erin_id)})).json()[0]
    assert rel["following"] and not rel["requested"]
    undone = await call(w, "POST", f"/api/v1/accounts/{erin_id}/unfollow", dave)
    assert undone.status_code == 200 and undone.json()["following"] is False
    await network.drain()
    assert await edge_state(w.social, dave_uri, erin_uri) is None  # the Undo reached it too
    assert (await call(w, "POST", f"/api/v1/accounts/{erin_id}/unfollow", dave)).status_code == 200

    me = await account_id(w, "dave")
    refused = await call(w, "POST", f"/api/v1/accounts/{me}/follow", dave)
    assert refused.status_code == 422 and "error" in refused.json()
    for bad in ("abc", "99999999999999999999", "4242"):
        assert (await call(w, "POST", f"/api/v1/accounts/{bad}/follow", dave)).status_code == 404
    assert (await call(w, "POST", f"/api/v1/accounts/{alice_id}/unfollow",
                       await token(w, "dave", ["read"]))).status_code == 403
    assert (await call(w, "POST", f"/api/v1/accounts/{alice_id}/unfollow",
                       await token(w, "dave", ["write:follows"]))).json()["following"] is False
    assert (await call(w, "POST", f"/api/v1/accounts/{alice_id}/follow", bearer("x"))).status_code == 401


async def test_account_search(network: Network) -> None:
    w = await make_world(network)
    dave = await token(w, "dave")
    found = await call(w, "GET", "/api/v1/accounts/search", dave, params={"q": "ali"})
    assert found.status_code == 200, found.text
    assert_entities("Account", found.json())
    assert [a["username"] for a in found.json()] == ["alice"]
    known = await call(w, "GET", "/api/v1/accounts/search", dave, params={"q": "erin@social.test"})
    assert [a["acct"] for a in known.json()] == ["erin@social.test"]
    assert (await call(w, "GET", "/api/v1/accounts/search", dave, params={"q": "zed@social.test"})).json() == []

    await make_user(w.social, "gwen")
    resolved = await call(w, "GET", "/api/v1/accounts/search", dave,
                          params={"q": "@gwen@social.test", "resolve": "true", "limit": "5"})
    assert [a["acct"] for a in resolved.json()] == ["gwen@social.test"]
    assert (await call(w, "GET", "/api/v1/accounts/search", dave,
                       params={"q": "nobody@social.test", "resolve": "true"})).json() == []
    assert (await call(w, "GET", "/api/v1/accounts/search", dave, params={"q": "x" * 201})).status_code == 422
    assert (await call(w, "GET", "/api/v1/accounts/search", dave,
                       params={"q": "a", "resolve": "perhaps"})).status_code == 422
    assert (await call(w, "GET", "/api/v1/accounts/search", await token(w, "dave", ["write"]),
                       params={"q": "a"})).status_code == 403


async def test_account_search_resolves_nothing_on_a_suspended_domain(network: Network) -> None:
    from fediverse.services import domain_blocks
    from fediverse.services.blocklist_csv import BlockInput

    w = await make_world(network)
    await make_user(w.social, "gwen")
    admin = await make_user(w.art, "boss", role="admin")
    async with w.art.rt.sessions() as session:
        await domain_blocks.create(session, admin, BlockInput("social.test", "suspend"))
        await session.commit()
    dave = await token(w, "dave")
    for q in ("gwen@social.test", "erin@social.test"):
        answer = await call(w, "GET", "/api/v1/accounts/search", dave, params={"q": q, "resolve": "true"})
        assert answer.status_code == 200 and answer.json() == [], answer.text
