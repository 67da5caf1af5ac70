"""A followed server often sends its Accept and a new post at the same moment, and workers take them in any order:
a post that arrives while our Follow is still pending is kept, and shows in the follower's home once the Accept
is in (seen with Fedify and dramatiq workers). A post of someone nobody here follows or asked to follow is not."""

from __future__ import annotations

from fediverse.db import accounts as account_db
from fediverse.services import timelines
from tests.federation.test_inbound_permissions import (
    ALICE, AS, BOB, MALLORY, World, activity, alice_asks_to_follow_bob, alice_follows_bob, world,  # noqa: F401
)


def public_note(actor: str, n: int) -> dict[str, object]:
    host = actor.split("/")[2]
    return {"id": f"https://{host}/notes/race-{n}", "type": "Note", "attributedTo": actor,
            "content": f"<p>Marsh at dawn {n}</p>", "published": "2026-12-07T08:00:00Z", "to": [f"{AS}#Public"]}


async def home_uris(w: World) -> list[str]:
    async with w.art.rt.sessions() as session:
        alice = await account_db.by_uri(session, ALICE)
        assert alice is not None
        page = await timelines.home(session, alice)
    return [item.note.uri for item in page.items if item.note is not None]


async def test_a_post_that_overtakes_the_accept_is_kept_and_shows_once_accepted(world: World) -> None:
    w = world
    follow = await alice_asks_to_follow_bob(w)
    early = activity("Create", BOB, public_note(BOB, 1))
    assert await w.send(early) == 202
    assert await w.outcome(early["id"]) == "post stored"
    assert await home_uris(w) == []  # not yet: the follow is still pending
    assert await w.send(activity("Accept", BOB, follow)) == 202
    assert await alice_follows_bob(w) == "accepted"
    assert await home_uris(w) == [public_note(BOB, 1)["id"]]

    stranger = activity("Create", MALLORY, public_note(MALLORY, 2))
    assert await w.send(stranger) == 202
    assert await w.outcome(stranger["id"]) == "ignored: not a reply to our works and mentions none of our artists"
