"""Carries committed stream events (db/stream_events.py) to the WebSocket connections of every process.

Without Redis, one process is the whole instance: `publish` hands the events to this process's listeners.
With Redis (`jobs.redis_url`), a post may be stored by a `fediverse worker` while the sockets live in the web
processes: `publish` sends the events to the instance's pub/sub channel, and each process that has listeners
reads that channel once and hands what arrives to them (its own events come back the same way, so each is
delivered once). Only ids travel; every connection renders the status for its own viewer from the database.

`publish` is called from the commit hook, which is synchronous: it never waits, and Redis trouble is logged,
never raised into the transaction that already committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fediverse.db.stream_events import Event

log = logging.getLogger("fediverse.streaming")

QUEUE_SIZE = 1000  # events waiting for one slow connection; past it the oldest are dropped, never memory


class Listener:
    """One connection's inbox of events."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)

    def put(self, item: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(item)

    async def get(self) -> Event:
        return await self.queue.get()


class StreamBus:
    """In process (``redis_url`` empty) or across processes through Redis pub/sub on ``channel``."""

    def __init__(self, redis_url: str = "", channel: str = "fediverse:streaming") -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.listeners: set[Listener] = set()
        self._client: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[Any]] = set()

    def publish(self, events: list[Event]) -> None:
        if not self.redis_url:
            self._deliver(events)
            return
        message = json.dumps([e.to_json() for e in events])
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a synchronous caller (no event loop): send and wait
            import redis

            with redis.Redis.from_url(self.redis_url) as client:
                client.publish(self.channel, message)
            return
        task = loop.create_task(self._send(message))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send(self, message: str) -> None:
        try:
            await self._redis().publish(self.channel, message)
        except Exception as exc:  # noqa: BLE001 - the post is committed; only its live announcement is lost
            log.warning("stream events not published to Redis: %s", exc)

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio

            self._client = redis.asyncio.Redis.from_url(self.redis_url)
        return self._client

    def _deliver(self, events: list[Event]) -> None:
        for listener in list(self.listeners):
            for item in events:
                listener.put(item)

    async def listen(self) -> Listener:
        """A new listener; with Redis, this process subscribes to the channel first (once), so no event
        published after this returns is missed."""
        listener = Listener()
        if self.redis_url and self._reader is None:
            ready = asyncio.get_running_loop().create_future()
            self._reader = asyncio.create_task(self._read(ready))
            await ready
        self.listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def _read(self, ready: asyncio.Future[None]) -> None:
        """This process's one subscription: each message's events go to every listener here."""
        while True:
            try:
                async with self._redis().pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    if not ready.done():
                        ready.set_result(None)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._deliver(_events_of(message.get("data")))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis went away: say so, try again shortly
                log.warning("stream subscription to Redis lost: %s", exc)
                if not ready.done():
                    ready.set_result(None)
                await asyncio.sleep(1)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _events_of(data: Any) -> list[Event]:
    try:
        docs = json.loads(data)
    except (TypeError, ValueError):
        return []
    if not isinstance(docs, list):
        return []
    return [e for e in (Event.from_json(d) for d in docs) if e is not None]
