"""Our artists boost remote posts: Announce and Undo(Announce), to followers and the author, with the refusal.

art.test's alice refuses AI training and search on a work that mentions bob@social.test. bob boosts it from
his notifications; carol on other.test follows bob. The Announce reaches alice's server (counted as a boost of
her work) and carol's (bob's follower), carrying alice's refusal in our JSON-LD terms; the Announce we serve
at its id says the same. Undo takes it back everywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fediverse.consent import CONSENT_NS
from fediverse.models import InboundActivity, Reaction, RemoteNote
from tests.federation.helpers import AP_ACCEPT, act, make_user
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, errors_in, login, post_form

CC_BY_NC_ND = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
ALLOWING = {"ai_training": "allowed", "tdm_reserved": False, "ai_input": True, "search": True}


async def inbound(instance: Instance, kind: str) -> list[dict[str, Any]]:
    async with instance.rt.sessions() as session:
        rows = await session.scalars(select(InboundActivity).where(InboundActivity.type == kind)
                                     .order_by(InboundActivity.id))
        return [row.raw for row in rows]


async def reactions(instance: Instance) -> list[Reaction]:
    async with instance.rt.sessions() as session:
        return list(await session.scalars(select(Reaction)))


def assert_refusal(announce: dict[str, Any]) -> None:
    assert announce["xRobotsTag"] == "noai, noimageai, noarchive, noindex, noimageindex"
    assert announce["contentUsage"] == "train-ai=n, search=n"
    assert announce["tdmReservation"] == 1 and announce["license"] == CC_BY_NC_ND
    terms = announce["@context"][1]
    assert terms["contentUsage"] == "consent:contentUsage" and terms["consent"] == CONSENT_NS


async def test_a_boost_carries_the_refusal_to_followers_and_the_author_and_undo_takes_it_back(
        network: Network) -> None:
    art = await network.add("art.test")
    social = await network.add("social.test", consent=ALLOWING)  # bob's own default allows: the refusal is alice's
    other = await network.add("other.test")
    await make_user(art, "alice")
    await make_user(social, "bob", password=PASSWORD)
    await make_user(other, "carol")
    await act(social, "follow", "bob", "alice@art.test")
    await act(other, "follow", "carol", "bob@social.test")
    await network.drain()
    work = await post_work(art, "alice", 1, title="Harbour", description="For @bob@social.test",
                           license_url=CC_BY_NC_ND, consent={"ai_training": "none", "search": False})
    await network.drain()
    async with social.rt.sessions() as session:
        [note] = list(await session.scalars(select(RemoteNote)))
    assert note.uri == work.uri

    async with browser(social) as client:
        await login(client, "bob")
        page = await client.get("/studio/notifications")
        assert f'action="/studio/boosts/{note.id}/boost"' in page.text
        boosted = await post_form(client, "/studio/notifications", f"/studio/boosts/{note.id}/boost")
        assert boosted.status_code == 303, errors_in(boosted.text)
        again = await post_form(client, "/studio/notifications", f"/studio/boosts/{note.id}/boost")
        assert again.status_code == 400 and "You already boosted this post." in again.text  # one at a time
        page = await client.get("/studio/notifications")
        assert f'action="/studio/boosts/{note.id}/undo"' in page.text and "Undo boost" in page.text
    await network.drain()

    [at_author] = await inbound(art, "Announce")
    [at_follower] = await inbound(other, "Announce")
    assert at_author == at_follower
    assert at_author["actor"] == "https://social.test/users/bob" and at_author["object"] == work.uri
    assert "https://www.w3.org/ns/activitystreams#Public" in at_author["to"]
    assert "https://art.test/users/alice" in at_author["cc"]
    assert_refusal(at_author)
    [reaction] = await reactions(art)
    assert reaction.kind == "announce" and reaction.uri == at_author["id"]
    async with art.client() as client:  # as another server sees it: the Announce at its id, same record
        served = await client.get(at_author["id"], headers=AP_ACCEPT)
    assert served.status_code == 200 and served.json() == at_author
    # bob's own record allows training and search; the boosted post refuses both: the headers refuse
    assert served.headers["content-usage"] == "train-ai=n, search=n" and "noai" in served.headers["x-robots-tag"]

    async with browser(social) as client:
        await login(client, "bob")
        undone = await post_form(client, "/studio/notifications", f"/studio/boosts/{note.id}/undo")
        assert undone.status_code == 303, errors_in(undone.text)
        assert f'action="/studio/boosts/{note.id}/boost"' in (await client.get("/studio/notifications")).text
        twice = await post_form(client, "/studio/notifications", f"/studio/boosts/{note.id}/undo")
        assert twice.status_code == 400 and "You have not boosted this post." in twice.text
    await network.drain()
    [undo_at_author] = await inbound(art, "Undo")
    [undo_at_follower] = await inbound(other, "Undo")
    assert undo_at_author["object"]["id"] == at_author["id"] == undo_at_follower["object"]["id"]
    assert await reactions(art) == []
    async with art.client() as client:
        assert (await client.get(at_author["id"], headers=AP_ACCEPT)).status_code == 410


async def test_followers_only_posts_and_strangers_cannot_be_boosted(network: Network) -> None:
    art = await network.add("art.test")
    social = await network.add("social.test")
    await make_user(art, "alice")
    await make_user(social, "bob", password=PASSWORD)
    await act(social, "follow", "bob", "alice@art.test")
    await network.drain()
    await post_work(art, "alice", 1, title="Private", description="For @bob@social.test", visibility="followers")
    await network.drain()
    async with social.rt.sessions() as session:
        [note] = list(await session.scalars(select(RemoteNote)))
    async with browser(social) as client:
        await login(client, "bob")
        assert f"/studio/boosts/{note.id}/" not in (await client.get("/studio/notifications")).text
        refused = await post_form(client, "/studio/notifications", f"/studio/boosts/{note.id}/boost")
        assert refused.status_code == 400 and "Only public posts can be boosted." in refused.text
        missing = await post_form(client, "/studio/notifications", "/studio/boosts/999999/boost")
        assert missing.status_code == 404
        no_csrf = await client.post(f"/studio/boosts/{note.id}/boost", data={})
        assert no_csrf.status_code == 403
    await network.drain()
    assert await inbound(art, "Announce") == []
