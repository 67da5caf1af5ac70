"""A small world for the client API tests: art.test (alice, dave) and social.test (erin), alice following erin,
so erin's posts are stored on art.test as remote posts; alice posts works and notes in every audience."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from fediverse.models import LocalNote, Status, Work
from fediverse.services import interactions, notes, works
from tests.web.panel_client import PASSWORD
from tests.federation.helpers import act, make_user, user
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network


@dataclass
class World:
    art: Instance
    social: Instance
    network: Network
    ids: dict[str, int] = field(default_factory=dict)  # name -> status id on art.test

    def client(self) -> httpx.AsyncClient:
        """A signed-out client of art.test (no cookie, no token)."""
        return self.art.client()

    async def get(self, path: str, **params: Any) -> httpx.Response:
        async with self.client() as client:
            return await client.get(path, params=params)


async def status_of_work(instance: Instance, work: Work) -> int:
    async with instance.rt.sessions() as session:
        return int(await session.scalar(select(Status.id).where(Status.work_id == work.id)))


async def status_of_uri(instance: Instance, uri: str) -> int:
    from fediverse.services.threads import status_by_uri

    async with instance.rt.sessions() as session:
        found = await status_by_uri(session, uri)
    assert found is not None, uri
    return found.id


async def note(instance: Instance, username: str, text: str, **options: Any) -> int:
    async with instance.rt.sessions() as session:
        me = await session.merge(await user(instance, username))
        posted: LocalNote = await notes.post_note(instance.rt, session, me, text, **options)
        return int(posted.public_id)


async def make_world(network: Network) -> World:
    art = await network.add("art.test")
    social = await network.add("social.test")
    for name in ("alice", "dave"):
        await make_user(art, name, password=PASSWORD)  # they may sign in (and authorise apps)
    await make_user(social, "erin")
    await act(art, "follow", "alice", "erin@social.test")
    await network.drain()
    w = World(art, social, network)
    erin_work = await post_work(social, "erin", 1, title="Erin's harbour", description="Remote ink #ink")
    await network.drain()
    w.ids["erin_work"] = await status_of_uri(art, erin_work.uri)
    work = await post_work(art, "alice", 2, title="Harbour studies", description="Ink on paper #ink",
                           license_url="https://creativecommons.org/licenses/by-nc-nd/4.0/")
    w.ids["alice_work"] = await status_of_work(art, work)
    async with art.rt.sessions() as session:
        await works.set_pinned(art.rt, session, await session.merge(await user(art, "alice")), work.public_id, True)
        await session.commit()
    w.ids["public_note"] = await note(art, "alice", "A public note #sketch")
    w.ids["unlisted_note"] = await note(art, "alice", "An unlisted note", visibility="unlisted")
    w.ids["followers_note"] = await note(art, "alice", "Only for my followers", visibility="followers")
    w.ids["direct_note"] = await note(art, "alice", "@dave@art.test a secret", visibility="direct")
    w.ids["reply"] = await note(art, "alice", "Replying to myself", in_reply_to=w.ids["alice_work"])
    async with art.rt.sessions() as session:
        await interactions.reblog(art.rt, session, await session.merge(await user(art, "alice")), w.ids["erin_work"])
    async with art.rt.sessions() as session:
        w.ids["boost"] = int(await session.scalar(select(Status.id).where(
            Status.reblog_of_id == w.ids["erin_work"])))
    await network.drain()
    return w
