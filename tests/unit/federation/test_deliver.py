"""The delivery activity cache (fediverse/federation/deliver.py, ActivityCache): a fan-out's deliveries read
each stored activity once, even when they all start together; outcomes and errors are never kept."""

from __future__ import annotations

import asyncio

import pytest

from fediverse.activitypub.signatures.keys import generate_private_key
from fediverse.federation.client import Signer
from fediverse.federation.deliver import ActivityCache, Loaded, Unsendable
from fediverse.jobs.outcome import Done

SIGNER = Signer("https://here.test/users/a#main-key", generate_private_key())


class Reads:
    """A read of the stored activity that counts its calls and can be held open until released."""

    def __init__(self, result: Loaded | Unsendable | Exception) -> None:
        self.result = result
        self.count = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> Loaded | Unsendable:
        self.count += 1
        await self.release.wait()
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


async def test_deliveries_that_start_together_read_the_activity_once() -> None:
    cache, read = ActivityCache(), Reads((b"{}", SIGNER))
    read.release.clear()
    waiting = [asyncio.create_task(cache.get(7, read)) for _ in range(20)]
    await asyncio.sleep(0)
    read.release.set()
    assert await asyncio.gather(*waiting) == [(b"{}", SIGNER)] * 20
    assert await cache.get(7, read) == (b"{}", SIGNER)
    assert read.count == 1


async def test_an_outcome_reaches_the_waiters_but_is_read_again_next_time() -> None:
    cache, read = ActivityCache(), Reads(Done("activity no longer exists"))
    read.release.clear()
    waiting = [asyncio.create_task(cache.get(7, read)) for _ in range(3)]
    await asyncio.sleep(0)
    read.release.set()
    assert await asyncio.gather(*waiting) == [Done("activity no longer exists")] * 3
    await cache.get(7, read)
    assert read.count == 2


async def test_a_failed_read_fails_every_waiter_and_the_next_delivery_reads_again() -> None:
    cache, read = ActivityCache(), Reads(OSError("database is locked"))
    read.release.clear()
    waiting = [asyncio.create_task(cache.get(7, read)) for _ in range(3)]
    await asyncio.sleep(0)
    read.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, OSError) and str(r) == "database is locked" for r in results)
    read.result = (b"{}", SIGNER)
    assert await cache.get(7, read) == (b"{}", SIGNER)
    assert read.count == 2


async def test_a_cancelled_reader_is_an_error_for_its_waiters_not_a_hang() -> None:
    cache, read = ActivityCache(), Reads((b"{}", SIGNER))
    read.release.clear()
    reader = asyncio.create_task(cache.get(7, read))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.get(7, read))
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(RuntimeError, match="loading the activity was interrupted"):
        await asyncio.wait_for(waiter, 5)


async def test_only_the_most_recent_activities_are_kept() -> None:
    cache = ActivityCache(size=2)
    reads = {n: Reads((f"{n}".encode(), SIGNER)) for n in (1, 2, 3)}
    for n in (1, 2, 3):
        await cache.get(n, reads[n])
    await cache.get(3, reads[3])
    await cache.get(1, reads[1])
    assert (reads[1].count, reads[2].count, reads[3].count) == (2, 1, 1)
