"""Blocks and mutes through the client API: a block ends the follows both ways (a remote server hears the Undo
and the Reject) and keeps new follows out in both directions; a mute keeps the follow. Each person sees only her
own lists; scopes, malformed ids and bad parameters are refused without a change."""

from __future__ import annotations

from fediverse.db import accounts as account_db
from tests.api.mastodon_types import assert_entities, assert_entity
from tests.api.test_api_accounts import account_id, call, token
from tests.api.world import make_world
from tests.federation.helpers import act, edge_state, user
from tests.support import Network


async def test_a_block_ends_follows_both_ways_and_keeps_new_ones_out(network: Network) -> None:
    w = await make_world(network)
    alice_id, dave_id = await account_id(w, "alice"), await account_id(w, "dave")
    await act(w.art, "follow", "dave", "alice@art.test")
    await act(w.art, "follow", "alice", "dave@art.test")
    await act(w.social, "follow", "erin", "alice@art.test")
    await network.drain()
    async with w.art.rt.sessions() as session:
        erin = await account_db.remote_by_handle(session, "erin@social.test")
        assert erin is not None
        erin_id, erin_uri = erin.id, erin.uri
    alice_uri = (await user(w.art, "alice")).account.uri
    assert await edge_state(w.social, erin_uri, alice_uri) == "accepted"
    alice, dave = await token(w, "alice"), await token(w, "dave")

    blocked = await call(w, "POST", f"/api/v1/accounts/{dave_id}/block", alice)
    assert blocked.status_code == 200, blocked.text
    assert_entity("Relationship", blocked.json())
    rel = blocked.json()
    assert rel["blocking"] and not rel["following"] and not rel["followed_by"]
    seen_by_dave = (await call(w, "GET", "/api/v1/accounts/relationships", dave,
                               params={"id[]": str(alice_id)})).json()[0]
    assert seen_by_dave["blocked_by"] and not seen_by_dave["blocking"] and not seen_by_dave["following"]
    refused = await call(w, "POST", f"/api/v1/accounts/{alice_id}/follow", dave)
    assert refused.status_code == 422 and "block" in refused.json()["error"]
    assert (await call(w, "POST", f"/api/v1/accounts/{dave_id}/follow", alice)).status_code == 422
    listed = await call(w, "GET", "/api/v1/blocks", alice)
    assert_entities("Account", listed.json())
    assert [a["username"] for a in listed.json()] == ["dave"]
    assert (await call(w, "GET", "/api/v1/blocks", dave)).json() == []  # only her own list

    await call(w, "POST", f"/api/v1/accounts/{erin_id}/block", alice)
    await network.drain()
    assert await edge_state(w.social, erin_uri, alice_uri) is None  # the Reject reached social.test
    assert await edge_state(w.social, alice_uri, erin_uri) is None  # and the Undo of alice's follow
    await act(w.social, "follow", "erin", "alice@art.test")  # erin tries again: refused by art.test
    await network.drain()
    assert await edge_state(w.art, erin_uri, alice_uri) is None
    page = await call(w, "GET", "/api/v1/blocks", alice, params={"limit": "1"})
    assert [a["username"] for a in page.json()] == ["erin"] and 'rel="next"' in page.headers["link"]

    undone = await call(w, "POST", f"/api/v1/accounts/{dave_id}/unblock/", alice)
    assert undone.status_code == 200 and not undone.json()["blocking"]
    assert (await call(w, "POST", f"/api/v1/accounts/{alice_id}/follow", dave)).json()["following"]

    assert (await call(w, "POST", f"/api/v1/accounts/{alice_id}/block", alice)).status_code == 422
    for bad in ("abc", "99999999999999999999", "4242"):
        assert (await call(w, "POST", f"/api/v1/accounts/{bad}/block", alice)).status_code == 404
    assert (await call(w, "POST", f"/api/v1/accounts/{dave_id}/block", await token(w, "alice", ["read"]))
            ).status_code == 403
    assert (await call(w, "GET", "/api/v1/blocks", await token(w, "alice", ["read:mutes"]))).status_code == 403
    assert (await call(w, "GET", "/api/v1/blocks", await token(w, "alice", ["follow"]))).status_code == 200


async def test_a_mute_keeps_the_follow(network: Network) -> None:
    w = await make_world(network)
    dave_id = await account_id(w, "dave")
    await act(w.art, "follow", "alice", "dave@art.test")
    alice = await token(w, "alice")
    muted = await call(w, "POST", f"/api/v1/accounts/{dave_id}/mute", alice, data={"notifications": "false"})
    assert muted.status_code == 200, muted.text
    rel = muted.json()
    assert rel["muting"] and not rel["muting_notifications"] and rel["following"]
    again = await call(w, "POST", f"/api/v1/accounts/{dave_id}/mute", alice, json={"notifications": True})
    assert again.json()["muting_notifications"] is True
    mutes = await call(w, "GET", "/api/v1/mutes", alice)
    assert [a["username"] for a in mutes.json()] == ["dave"]
    assert (await call(w, "GET", "/api/v1/mutes", await token(w, "dave"))).json() == []

    for bad in ({"duration": "3600"}, {"notifications": "sometimes"}):
        refused = await call(w, "POST", f"/api/v1/accounts/{dave_id}/mute", alice, data=bad)
        assert refused.status_code == 422, bad
    assert (await call(w, "GET", "/api/v1/mutes", alice)).json()[0]["username"] == "dave"
    assert (await call(w, "POST", f"/api/v1/accounts/{dave_id}/mute", await token(w, "alice", ["write:blocks"]))
            ).status_code == 403

    unmuted = await call(w, "POST", f"/api/v1/accounts/{dave_id}/unmute", alice)
    assert unmuted.status_code == 200 and not unmuted.json()["muting"] and unmuted.json()["following"]
    assert (await call(w, "GET", "/api/v1/mutes", alice)).json() == []
