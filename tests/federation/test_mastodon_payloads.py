"""A Mastodon-shaped peer built from the real payloads in tests/fixtures (re-hosted, with a key we hold).

The recorded actor, Follow and Undo documents keep every field Mastodon sent; only their host names
and the public key change, so that we can sign for them. Our answers are checked with apsig, a
third-party verifier, the way the peer would check them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from apsig.draft.verify import Verifier as ApsigVerifier

from tests.conftest import FIXTURES
from tests.federation.peer import FixturePeer
from tests.federation.helpers import edge_state, get_json, make_user
from tests.support import Network

PEER = "masto.test"
OLD_HOSTS = ("activitypub.academy", "masto.asonix.dog")


def load(name: str, target: str) -> dict[str, Any]:
    text = (FIXTURES / name).read_text()
    for host in OLD_HOSTS:
        text = text.replace(host, PEER)
    text = text.replace(f"https://{PEER}/users/asonix", f"https://{PEER}/users/brauca_darradiul")
    text = text.replace("https://ds9.lemmy.ml/c/testcom", target)
    return json.loads(text)


@pytest.fixture
def peer(network: Network) -> FixturePeer:
    return FixturePeer().install(network)


async def test_mastodon_follow_is_accepted_with_its_exact_id_and_a_signature_mastodon_can_check(
    network: Network, peer: FixturePeer
) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice")
    follow = load("mastodon/follow.json", alice.account.uri)
    assert await peer.post(art, "/users/alice/inbox", follow) == 202
    await network.drain()

    follower = peer.actor["id"]
    assert await edge_state(art, follower, alice.account.uri) == "accepted"
    [(url, headers, body)] = peer.received
    assert url == peer.actor["inbox"]  # Accept goes to the personal inbox, not the shared one
    accept = json.loads(body)
    assert accept["type"] == "Accept" and accept["actor"] == alice.account.uri
    assert accept["object"]["id"] == follow["id"] and accept["object"]["actor"] == follower
    verifier = ApsigVerifier(public_pem=alice.account.public_key_pem, method="POST", url=url, headers=headers, body=body)
    assert verifier.verify(raise_on_fail=True) == alice.account.key_id
    followers = await get_json(art, alice.account.followers_url)
    assert followers["totalItems"] == 1


async def test_mastodon_undo_follow_removes_the_follower(network: Network, peer: FixturePeer) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice")
    assert await peer.post(art, "/inbox", load("mastodon/follow.json", alice.account.uri)) == 202
    await network.drain()
    assert await peer.post(art, "/inbox", load("mastodon/undo_follow.json", alice.account.uri)) == 202
    await network.drain()
    assert await edge_state(art, peer.actor["id"], alice.account.uri) is None


async def test_our_follow_is_accepted_by_a_mastodon_shaped_accept(network: Network, peer: FixturePeer) -> None:
    """Mastodon answers with the embedded Follow (accept_follow.json's shape); we match it and become a follower."""
    from tests.federation.helpers import act

    art = await network.add("art.test")
    alice = await make_user(art, "alice")
    await act(art, "follow", "alice", peer.actor["id"])
    await network.drain()
    [(_url, _headers, body)] = peer.received
    our_follow = json.loads(body)
    accept = json.loads((FIXTURES / "mastodon/accept_follow.json").read_text())
    accept.pop("signature")
    accept["actor"] = peer.actor["id"]
    accept["id"] = f"{peer.actor['id']}#accepts/follows/4"
    accept["object"] = {"type": "Follow", "id": our_follow["id"], "actor": alice.account.uri, "object": peer.actor["id"]}
    assert await peer.post(art, "/users/alice/inbox", accept) == 202
    await network.drain()
    assert await edge_state(art, alice.account.uri, peer.actor["id"]) == "accepted"


async def test_fixture_actor_is_stored_with_the_fields_mastodon_publishes(network: Network, peer: FixturePeer) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice")
    await peer.post(art, "/users/alice/inbox", load("mastodon/follow.json", alice.account.uri))
    from fediverse.db import accounts as account_db

    async with art.rt.sessions() as session:
        stored = await account_db.by_uri(session, peer.actor["id"])
    assert stored is not None
    assert stored.handle == f"brauca_darradiul@{PEER}"
    assert stored.shared_inbox_url == f"https://{PEER}/inbox"
    assert stored.display_name == "Brauca Darradiul"
    assert stored.raw is not None and stored.raw["devices"].endswith("/collections/devices")  # unknown keys kept
