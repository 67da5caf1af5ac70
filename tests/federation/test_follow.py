"""Two complete instances: WebFinger, Follow -> Accept, follow back, Undo, manual approval, collections."""

from __future__ import annotations

from sqlalchemy import func, select

from fediverse.models import InboundActivity
from tests.federation.helpers import act, edge_state, get_json, make_user
from tests.support import Network


async def test_remote_user_finds_artist_by_webfinger_and_follow_is_accepted(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice", display_name="Alice")
    bob = await make_user(b, "bob")

    async with b.client() as client:
        jrd = (await client.get("https://art.test/.well-known/webfinger", params={"resource": "acct:alice@art.test"})).json()
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link["href"] == alice.account.uri

    edge = await act(b, "follow", "bob", "alice@art.test")
    assert edge.state == "pending"  # until the Accept arrives
    await network.drain()

    assert await edge_state(a, bob.account.uri, alice.account.uri) == "accepted"
    assert await edge_state(b, bob.account.uri, alice.account.uri) == "accepted"
    followers = await get_json(b, alice.account.followers_url)
    assert followers["totalItems"] == 1
    page = await get_json(b, followers["first"])
    assert page["orderedItems"] == [bob.account.uri]
    following = await get_json(a, bob.account.following_url)
    assert following["totalItems"] == 1


async def test_artist_follows_back_and_both_directions_count(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await act(a, "follow", "alice", "@bob@social.test")
    await network.drain()

    assert await edge_state(a, alice.account.uri, bob.account.uri) == "accepted"
    assert await edge_state(b, alice.account.uri, bob.account.uri) == "accepted"
    alice_doc = await get_json(b, alice.account.uri)
    assert (await get_json(b, alice_doc["followers"]))["totalItems"] == 1
    assert (await get_json(b, alice_doc["following"]))["totalItems"] == 1


async def test_undo_follow_removes_the_follower_on_both_sides(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    await act(b, "unfollow", "bob", "alice@art.test")
    await network.drain()

    assert await edge_state(a, bob.account.uri, alice.account.uri) is None
    assert (await get_json(b, alice.account.followers_url))["totalItems"] == 0


async def test_locked_artist_holds_follow_until_approved(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice", manually_approves_followers=True)
    bob = await make_user(b, "bob")
    carol = await make_user(b, "carol")
    doc = await get_json(b, alice.account.uri)
    assert doc["manuallyApprovesFollowers"] is True

    await act(b, "follow", "bob", "alice@art.test")
    await act(b, "follow", "carol", "alice@art.test")
    await network.drain()
    assert await edge_state(a, bob.account.uri, alice.account.uri) == "pending"
    assert await edge_state(b, bob.account.uri, alice.account.uri) == "pending"
    assert (await get_json(b, alice.account.followers_url))["totalItems"] == 0

    await act(a, "approve", "alice", "bob@social.test")
    await act(a, "reject", "alice", "carol@social.test")
    await network.drain()
    assert await edge_state(b, bob.account.uri, alice.account.uri) == "accepted"
    assert await edge_state(b, carol.account.uri, alice.account.uri) is None
    assert await edge_state(a, carol.account.uri, alice.account.uri) is None
    assert (await get_json(b, alice.account.followers_url))["totalItems"] == 1


async def test_removing_a_follower_with_reject_unfollows_remotely(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    await act(a, "reject", "alice", "bob@social.test")
    await network.drain()
    assert await edge_state(b, bob.account.uri, alice.account.uri) is None


async def test_repeated_follow_is_answered_again_and_stored_once(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    await act(b, "follow", "bob", "alice@art.test")  # already accepted: nothing new is sent
    await network.drain()
    async with a.rt.sessions() as session:
        follows = await session.scalar(select(func.count()).select_from(InboundActivity).where(InboundActivity.type == "Follow"))
    assert follows == 1
    assert (await get_json(b, alice.account.followers_url))["totalItems"] == 1
    assert await edge_state(b, bob.account.uri, alice.account.uri) == "accepted"
