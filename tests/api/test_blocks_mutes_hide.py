"""What blocks and mutes hide, on the web and in the client API: a muted or blocked account's posts (and boosts
of them) leave the home, public and tag timelines of the person who muted or blocked, a blocker's posts leave the
blocked person's, and their notifications stop (a mute may keep notifications). Nobody else's view changes."""

from __future__ import annotations

from typing import Any

from fediverse.services import interactions
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.api.world import World, make_world, status_of_uri
from tests.federation.helpers import act, user
from tests.federation.test_works_federation import post_work
from tests.support import Network
from tests.web.panel_client import browser, login


async def _ids(w: World, key: str, path: str, **params: Any) -> set[int]:
    async with w.client() as client:
        answer = await client.get(path, params={"limit": "40", **params}, headers=bearer(key) if key else {})
    assert answer.status_code == 200, answer.text
    return {int(s["id"]) for s in answer.json()}


async def _notified_by(w: World, key: str) -> list[str]:
    async with w.client() as client:
        answer = await client.get("/api/v1/notifications", headers=bearer(key))
    assert answer.status_code == 200, answer.text
    return [n["account"]["acct"] for n in answer.json()]


async def _post(w: World, key: str, path: str, **form: str) -> None:
    async with w.client() as client:
        answer = await client.post(path, data=form or None, headers=bearer(key))
    assert answer.status_code == 200, answer.text


async def test_a_mute_hides_posts_boosts_and_notifications_for_the_muter_only(network: Network) -> None:
    w = await make_world(network)
    alice, dave = await token_for(w.art, "alice"), await token_for(w.art, "dave")
    await act(w.art, "follow", "dave", "alice@art.test")
    await act(w.social, "follow", "erin", "alice@art.test")
    await network.drain()
    work = await post_work(w.art, "alice", 1, title="Tide", description="#ink for the peer")
    await network.drain()
    async with w.social.rt.sessions() as session:  # erin favourites it on her server: a Like reaches art.test
        await interactions.like(w.social.rt, session, await session.merge(await user(w.social, "erin")),
                                await status_of_uri(w.social, work.uri))
    await network.drain()
    erin = w.ids["erin_work"]
    async with w.client() as client:
        erin_id = (await client.get("/api/v1/accounts/lookup", params={"acct": "erin@social.test"})).json()["id"]
    assert erin in await _ids(w, alice, "/api/v1/timelines/home")
    assert w.ids["boost"] in await _ids(w, dave, "/api/v1/timelines/home")  # alice's boost of erin's work
    assert "erin@social.test" in await _notified_by(w, alice)

    await _post(w, alice, f"/api/v1/accounts/{erin_id}/mute")
    await _post(w, dave, f"/api/v1/accounts/{erin_id}/mute", notifications="false")
    assert erin not in await _ids(w, alice, "/api/v1/timelines/home")
    assert erin not in await _ids(w, alice, "/api/v1/timelines/public")
    assert erin not in await _ids(w, alice, "/api/v1/timelines/tag/ink")
    assert w.ids["boost"] not in await _ids(w, dave, "/api/v1/timelines/home")  # a boost of her post goes too
    assert "erin@social.test" not in await _notified_by(w, alice)
    async with browser(w.art) as web:
        await login(web, "alice")
        home = await web.get("/home")
        notifications = await web.get("/studio/notifications")
    assert home.status_code == 200 and "Erin&#39;s harbour" not in home.text and "Erin's harbour" not in home.text
    assert notifications.status_code == 200 and "erin@social.test" not in notifications.text

    assert erin in await _ids(w, "", "/api/v1/timelines/public")  # nobody else's view changes
    await _post(w, alice, f"/api/v1/accounts/{erin_id}/unmute")
    assert erin in await _ids(w, alice, "/api/v1/timelines/home")
    assert "erin@social.test" in await _notified_by(w, alice)


async def test_a_block_hides_each_from_the_other(network: Network) -> None:
    w = await make_world(network)
    alice, dave = await token_for(w.art, "alice"), await token_for(w.art, "dave")
    dave_work = await post_work(w.art, "dave", 1, title="Dave's dunes", description="#ink")
    async with w.art.rt.sessions() as session:
        from sqlalchemy import select

        from fediverse.models import Status
        dave_status = int(await session.scalar(select(Status.id).where(Status.work_id == dave_work.id)))
    alice_id = (await user(w.art, "alice")).account_id
    assert w.ids["public_note"] in await _ids(w, dave, "/api/v1/timelines/public")
    await _post(w, dave, f"/api/v1/accounts/{alice_id}/block")
    assert w.ids["public_note"] not in await _ids(w, dave, "/api/v1/timelines/public")
    assert w.ids["alice_work"] not in await _ids(w, dave, "/api/v1/timelines/tag/ink")
    assert dave_status not in await _ids(w, alice, "/api/v1/timelines/public")  # blocked: she sees none of his
    assert dave_status not in await _ids(w, alice, "/api/v1/timelines/tag/ink")
    assert {w.ids["public_note"], dave_status} <= await _ids(w, "", "/api/v1/timelines/public")
