"""Two jobs storing posts that share a file (the same image posted twice, two posts of one author and their
avatar) at the same moment: on PostgreSQL inbox jobs run side by side, and the one that loses the race on the
unique URL must go on with the winner's row, not fail the whole job on a unique violation (and so drop a post)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from fediverse.db import remote_media as media_db
from fediverse.models import RemoteMedia
from tests.federation.helpers import make_user
from tests.support import Network

URL = "https://social.test/media/heron.jpg"


async def test_the_second_of_two_simultaneous_claims_gets_the_first_ones_row(network: Network) -> None:
    art = await network.add("art.test")
    alice = (await make_user(art, "alice")).account_id
    async with art.rt.sessions() as first, art.rt.sessions() as second:
        mine = await media_db.claim(first, URL, account_id=alice, note_id=None)  # inserted, not committed
        theirs = asyncio.create_task(media_db.claim(second, URL, account_id=alice, note_id=None))
        await asyncio.sleep(0.2)  # the second insert now waits on the first transaction's row (or write lock)
        await first.commit()
        row = await theirs
        await second.commit()
    assert row.id == mine.id and row.url == URL
    async with art.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(RemoteMedia)) == 1
        assert await media_db.insert_new(session, URL, account_id=alice) is None  # known: nothing new to fetch
