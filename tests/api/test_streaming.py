"""The streaming API over real WebSockets (the instance served on loopback by uvicorn): what a follower hears when
an account she follows posts, what nobody else hears (followers-only posts, other people's notifications),
the public, local and hashtag streams, subscribe messages, bad messages and bad tokens, and the health check."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from fediverse.runtime import create_runtime
from fediverse.services import interactions, notes, works
from fediverse.services.works import WorkInput
from tests.api.mastodon_types import assert_entity
from tests.api.streaming_client import (
    next_message, served, settle, silence, socket_of, subscribe, token,
)
from tests.api.world import note
from tests.components import REDIS_URL
from tests.federation.helpers import act, make_user, user
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD


async def _art(network: Network) -> Instance:
    art = await network.add("art.test")
    for name in ("alice", "dave", "carol"):
        await make_user(art, name, password=PASSWORD)  # may sign in, so may authorise apps
    await act(art, "follow", "dave", "alice@art.test")  # a local follow is accepted at once
    return art


def _payload(message: dict[str, object]) -> dict[str, object]:
    assert isinstance(message["payload"], str)  # Mastodon sends the entity as JSON text inside the message
    return json.loads(message["payload"])


async def test_a_follower_hears_posts_a_stranger_does_not_hear_followers_only_ones(network: Network) -> None:
    art = await _art(network)
    dave_token, carol_token = await token(art, "dave"), await token(art, "carol")
    async with served(art) as base, socket_of(base, dave_token, "stream=user") as dave, \
            socket_of(base, carol_token, "stream=user") as carol:
        await subscribe(carol, "public:local")
        await settle(carol)
        private_id = await note(art, "alice", "Only for my followers", visibility="followers")
        heard = await next_message(dave)
        assert heard["stream"] == ["user"] and heard["event"] == "update"
        status = _payload(heard)
        assert status["id"] == str(private_id) and status["visibility"] == "private"
        assert status["account"]["username"] == "alice"
        assert_entity("Status", status)

        public_id = await note(art, "alice", "Hello everyone")
        assert _payload(await next_message(dave))["id"] == str(public_id)
        # carol hears the public post on public:local, and nothing before it: not the followers-only post,
        # and not on her user stream (she follows nobody)
        first = await next_message(carol)
        assert first["stream"] == ["public:local"] and _payload(first)["id"] == str(public_id)
        await silence(carol)

        own_id = await note(art, "carol", "My own words")
        mine = [await next_message(carol), await next_message(carol)]  # her home and the local timeline
        assert {tuple(m["stream"]) for m in mine} == {("user",), ("public:local",)}
        assert {_payload(m)["id"] for m in mine} == {str(own_id)}
        await silence(dave)


async def test_a_follow_request_opens_the_home_stream_only_once_accepted(network: Network) -> None:
    """gwen approves her followers: while carol's request waits, carol's home stream carries none of gwen's
    posts (her home timeline shows none either), followers-only ones least of all; once accepted, it does."""
    art = await _art(network)
    await make_user(art, "gwen", password=PASSWORD, manually_approves_followers=True)
    await act(art, "follow", "carol", "gwen@art.test")
    async with served(art) as base, socket_of(base, await token(art, "carol"), "stream=user") as carol:
        await subscribe(carol, "user:notification")
        await settle(carol)
        await note(art, "gwen", "For my approved followers", visibility="followers")
        await note(art, "gwen", "For everyone")
        await silence(carol)
        await act(art, "approve", "gwen", "carol@art.test")
        private_id = await note(art, "gwen", "Now you are in", visibility="followers")
        heard = await next_message(carol)
        assert heard["stream"] == ["user"] and _payload(heard)["id"] == str(private_id)
        await silence(carol)


async def test_direct_posts_reach_only_mentioned_followers_and_unlisted_stay_off_public_streams(
        network: Network) -> None:
    art = await _art(network)
    async with served(art) as base, socket_of(base, await token(art, "dave"), "stream=public") as dave, \
            socket_of(base, await token(art, "carol"), "stream=user") as carol:
        await subscribe(dave, "user")
        await subscribe(carol, "public")
        await settle(dave)
        await settle(carol)
        await note(art, "alice", "Quietly", visibility="unlisted")
        unlisted = await next_message(dave)  # his home has it; the public stream does not
        assert unlisted["stream"] == ["user"] and _payload(unlisted)["visibility"] == "unlisted"

        # carol follows nobody: a direct post to her is no home post of hers (as on Mastodon), only a mention
        # notification; dave follows alice but is not addressed, so he hears nothing of it
        await note(art, "alice", "@carol@art.test just you", visibility="direct")
        notified = await next_message(carol)
        assert notified["stream"] == ["user"] and notified["event"] == "notification"
        assert _payload(notified)["type"] == "mention"
        assert _payload(notified)["status"]["visibility"] == "direct"
        await silence(dave)

        direct_id = await note(art, "alice", "@dave@art.test just you", visibility="direct")
        both = [await next_message(dave), await next_message(dave)]
        assert sorted((m["event"], m["stream"][0]) for m in both) == [("notification", "user"), ("update", "user")]
        update = next(m for m in both if m["event"] == "update")
        assert _payload(update)["id"] == str(direct_id) and _payload(update)["visibility"] == "direct"
        await silence(dave)
        await silence(carol)


async def test_notifications_stream_carries_only_the_viewers_notifications(network: Network) -> None:
    art = await _art(network)
    dave_token = await token(art, "dave", ("read:notifications",))
    async with served(art) as base, socket_of(base, dave_token, "stream=user:notification") as dave, \
            socket_of(base, await token(art, "carol"), "stream=user:notification") as carol:
        mention_id = await note(art, "alice", "@dave@art.test look at this")
        message = await next_message(dave)
        assert message["stream"] == ["user:notification"] and message["event"] == "notification"
        notification = _payload(message)
        assert notification["type"] == "mention" and notification["status"]["id"] == str(mention_id)
        assert notification["account"]["username"] == "alice"
        assert_entity("Notification", notification)
        await act(art, "follow", "carol", "alice@art.test")  # alice is notified, not dave
        await silence(dave)
        await silence(carol)
        # his token has no read:statuses: his home stream is refused, on the socket
        await subscribe(dave, "user")
        refused = await next_message(dave)
        assert refused == {"error": "This action is outside the authorized scopes", "status": 403}


async def test_hashtag_stream_subscribe_and_unsubscribe(network: Network) -> None:
    art = await _art(network)
    async with served(art) as base, socket_of(base, await token(art, "carol")) as carol:
        await subscribe(carol, "hashtag", tag="#Ink")
        await settle(carol)
        await note(art, "alice", "No tag here")
        tagged = await note(art, "alice", "Brush study #ink")
        message = await next_message(carol)
        assert message["stream"] == ["hashtag", "Ink"] and _payload(message)["id"] == str(tagged)
        assert [t["name"] for t in _payload(message)["tags"]] == ["ink"]
        await note(art, "alice", "Followers see #ink", visibility="followers")
        await silence(carol)
        await carol.send(json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": "Ink"}))
        await settle(carol)
        await note(art, "alice", "More #ink")
        await silence(carol)


async def _delete(art: Instance, status_id: int) -> None:
    async with art.rt.sessions() as session:
        alice = await session.merge(await user(art, "alice"))
        await notes.delete_note(art.rt, session, alice, str(status_id))


async def test_a_deletion_is_announced_to_those_who_may_have_heard_the_post(network: Network) -> None:
    art = await _art(network)
    async with served(art) as base, socket_of(base, await token(art, "dave"), "stream=public:local") as dave, \
            socket_of(base, await token(art, "carol"), "stream=user") as carol:
        await subscribe(dave, "user")
        await subscribe(carol, "public:local")
        await settle(dave)
        await settle(carol)
        public_id = await note(art, "alice", "Soon gone")
        assert {tuple(m["stream"]) for m in [await next_message(dave), await next_message(dave)]} == \
            {("public:local",), ("user",)}
        assert _payload(await next_message(carol))["id"] == str(public_id)
        await _delete(art, public_id)
        assert [await next_message(dave), await next_message(dave)] == [
            {"stream": ["public:local"], "event": "delete", "payload": str(public_id)},
            {"stream": ["user"], "event": "delete", "payload": str(public_id)}]
        assert await next_message(carol) == {"stream": ["public:local"], "event": "delete", "payload": str(public_id)}

        # a followers-only post: its follower hears of its deletion on his home stream, a stranger nowhere
        private_id = await note(art, "alice", "Soon gone, quietly", visibility="followers")
        assert _payload(await next_message(dave))["id"] == str(private_id)
        await _delete(art, private_id)
        assert await next_message(dave) == {"stream": ["user"], "event": "delete", "payload": str(private_id)}
        await silence(carol)
        await silence(dave)


async def test_bad_messages_get_errors_and_the_socket_stays_usable(network: Network) -> None:
    art = await _art(network)
    async with served(art) as base, socket_of(base, await token(art, "carol")) as carol:
        for sent, expected in [
            ("{not json", "Could not parse message"),
            ("[1, 2]", "Unknown message type"),
            (json.dumps({"type": "shout", "stream": "user"}), "Unknown message type"),
            (json.dumps({"type": "subscribe", "stream": "everything"}), "Unknown stream type"),
            (json.dumps({"type": "subscribe", "stream": 7}), "Unknown stream type"),
            (json.dumps({"type": "subscribe", "stream": "hashtag"}), "No tag for stream provided"),
            (json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "#"}), "No tag for stream provided"),
            ("x" * 5000, "Message too long"),
        ]:
            await carol.send(sent)
            assert await next_message(carol) == {"error": expected, "status": 400}
        await subscribe(carol, "public")
        await settle(carol)
        posted = await note(art, "alice", "Still listening?")
        assert _payload(await next_message(carol))["id"] == str(posted)


async def test_tokens_query_header_and_subprotocol(network: Network) -> None:
    art = await _art(network)
    carol_token = await token(art, "carol")
    async with served(art) as base:
        for query in ("", "?access_token=not-a-token", "?stream=public"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"{base}/api/v1/streaming{query}"):
                    pass
            assert refused.value.response.status_code == 401
            assert json.loads(refused.value.response.body) == {"error": "The access token is invalid"}
        with pytest.raises(InvalidStatus) as unknown:
            async with socket_of(base, carol_token, "stream=everything"):
                pass
        assert unknown.value.response.status_code == 400

        # masto.js (Elk, Phanpy) sends the token as the subprotocol; it must come back as the accepted one
        async with connect(f"{base}/api/v1/streaming?stream=public", subprotocols=[carol_token]) as ws:
            assert ws.subprotocol == carol_token
            posted = await note(art, "alice", "Over a subprotocol")
            assert _payload(await next_message(ws))["id"] == str(posted)
        async with connect(f"{base}/api/v1/streaming/?stream=user",
                           additional_headers={"Authorization": f"Bearer {carol_token}"}) as ws:
            posted = await note(art, "carol", "Over a header")
            assert _payload(await next_message(ws))["id"] == str(posted)


async def test_health(network: Network) -> None:
    art = await network.add("art.test")
    async with art.client() as client:
        for path in ("/api/v1/streaming/health", "/api/v1/streaming/health/"):
            answer = await client.get(path)
            assert answer.status_code == 200 and answer.text == "OK"
            assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.redis
async def test_two_processes_sharing_redis_deliver_across(network: Network) -> None:
    """With Redis, the socket's process hears a post another runtime (a worker, another web process) committed;
    without it, the other runtime's post stays in its own process."""
    art = await network.add("art.test", jobs={"backend": "embedded", "redis_url": REDIS_URL})
    for name in ("alice", "dave"):
        await make_user(art, name, password=PASSWORD)
    await act(art, "follow", "dave", "alice@art.test")
    other = create_runtime(art.rt.settings)  # the same database and Redis, its own engine and bus
    try:
        assert other.streams is not art.rt.streams and other.streams.redis_url == REDIS_URL
        async with served(art) as base, socket_of(base, await token(art, "dave"), "stream=user") as dave:
            async with other.sessions() as session:
                alice = await session.merge(await user(art, "alice"))
                posted = await notes.post_note(other, session, alice, "From the other process")
            heard = await next_message(dave)
            assert heard["event"] == "update" and _payload(heard)["id"] == posted.public_id
            async with other.sessions() as session:
                alice = await session.merge(await user(art, "alice"))
                await notes.delete_note(other, session, alice, posted.public_id)
            assert await next_message(dave) == {"stream": ["user"], "event": "delete", "payload": posted.public_id}
            await silence(dave)
    finally:
        await other.close()


async def test_without_redis_another_runtime_is_not_heard(network: Network) -> None:
    art = await _art(network)
    other = create_runtime(art.rt.settings)
    try:
        async with served(art) as base, socket_of(base, await token(art, "dave"), "stream=user") as dave:
            async with other.sessions() as session:
                alice = await session.merge(await user(art, "alice"))
                await notes.post_note(other, session, alice, "Only in the other process")
            await silence(dave)  # in-process fan-out: the single-process setup has no second process
            mine = await note(art, "alice", "In this process")
            assert _payload(await next_message(dave))["id"] == str(mine)
    finally:
        await other.close()


async def test_remote_posts_boosts_and_works_reach_the_home_stream(network: Network) -> None:
    """What arrives through the inbox (a followed remote account's note, its boost of a stranger's note) and a
    followed artist's work, then its edit, reach the follower's user stream as Mastodon entities."""
    art = await _art(network)
    social = await network.add("social.test")
    for name in ("erin", "fay"):
        await make_user(social, name)
    await act(art, "follow", "dave", "erin@social.test")
    await network.drain()
    async with served(art) as base, socket_of(base, await token(art, "dave"), "stream=user") as dave:
        await note(social, "erin", "Hello from the coast")
        await network.drain()
        remote = _payload(await next_message(dave))
        assert remote["account"]["acct"] == "erin@social.test" and "Hello from the coast" in remote["content"]
        assert_entity("Status", remote)

        fay_post = await note(social, "fay", "A stranger's sketch")
        await network.drain()
        await silence(dave)  # dave does not follow fay
        async with social.rt.sessions() as session:
            erin = await session.merge(await user(social, "erin"))
            await interactions.reblog(social.rt, session, erin, fay_post)
        await network.drain()
        boost = _payload(await next_message(dave))
        assert boost["account"]["acct"] == "erin@social.test"
        assert boost["reblog"]["account"]["acct"] == "fay@social.test"
        assert "A stranger's sketch" in boost["reblog"]["content"]
        assert_entity("Status", boost)

        await subscribe(dave, "public:media")
        await settle(dave)
        await note(art, "alice", "Words only")  # in his home; no media, so not on public:media
        assert _payload(await next_message(dave))["media_attachments"] == []
        work = await post_work(art, "alice", 1, title="Harbour", description="Ink on paper")
        on_media = await next_message(dave)
        assert on_media["stream"] == ["public:media"] and len(_payload(on_media)["media_attachments"]) == 1
        posted = await next_message(dave)
        shown = _payload(posted)
        assert posted["event"] == "update" and len(shown["media_attachments"]) == 1
        assert shown["media_attachments"][0]["description"] == "Study number 0"
        assert_entity("Status", shown)
        async with art.rt.sessions() as session:
            alice = await session.merge(await user(art, "alice"))
            await works.edit_work(art.rt, session, alice, work.public_id,
                                  WorkInput(title="Harbour", description="Ink on paper, revised"))
        edited = await next_message(dave)
        assert edited["event"] == "status.update" and _payload(edited)["id"] == shown["id"]
        assert "revised" in _payload(edited)["content"]
