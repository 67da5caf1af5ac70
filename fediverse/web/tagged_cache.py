"""One in-memory store whose entries carry tags: dropped by tag (after a commit changed the rows behind them), by
age, and oldest first past a count or byte cap.

Behind the response cache (web/cache.py: rendered bytes) and the consent middleware (web/consent.py: resolved
records and site files). Both invalidate by tag from a session hook (``watch_commits`` in db/changes.py) and bound
staleness for other processes' writes by age.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

CLEAR = "*"  # the tag that drops every entry (a change whose rows could not be told apart)


@dataclass
class Entry(Generic[V]):
    value: V
    tags: tuple[str, ...]
    expires: float  # time.monotonic()
    size: int


class TaggedCache(Generic[K, V]):
    """Values by key, each with tags. ``generation`` goes up at every invalidation: a value computed across one may
    hold old data, so ``put`` with the generation read before computing it keeps nothing then."""

    def __init__(self, *, ttl: float, max_entries: int, max_bytes: int | None = None,
                 size_of: Callable[[V], int] | None = None, refresh_on_hit: bool = False) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size_of = size_of
        self.refresh_on_hit = refresh_on_hit  # a hit makes the entry the newest (least recently used goes first)
        self.entries: OrderedDict[K, Entry[V]] = OrderedDict()
        self.by_tag: dict[str, set[K]] = {}
        self.size = 0
        self.hits = self.misses = 0
        self.generation = 0

    def get(self, key: K) -> V | None:
        entry = self.entries.get(key)
        if entry is not None and entry.expires < time.monotonic():
            self._drop(key)
            entry = None
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        if self.refresh_on_hit:
            self.entries.move_to_end(key)
        return entry.value

    def put(self, key: K, value: V, tags: tuple[str, ...], *, lifetime: float | None = None,
            generation: int | None = None) -> None:
        """Keep ``value`` for ``lifetime`` seconds (default: the ttl), unless an invalidation happened since
        ``generation`` was read."""
        if generation is not None and generation != self.generation:
            return
        self._drop(key)
        size = self.size_of(value) if self.size_of is not None else 0
        self.entries[key] = Entry(value, tags, time.monotonic() + (self.ttl if lifetime is None else lifetime), size)
        self.size += size
        for name in tags:
            self.by_tag.setdefault(name, set()).add(key)
        while len(self.entries) > self.max_entries or (self.max_bytes is not None and self.size > self.max_bytes):
            self._drop(next(iter(self.entries)))

    async def get_or_compute(self, key: K, compute: Callable[[], Awaitable[tuple[V, tuple[str, ...]]]]) -> V:
        """The stored value, else ``compute()``'s (value, tags), kept unless an invalidation came meanwhile."""
        found = self.get(key)
        if found is not None:
            return found
        generation = self.generation
        value, tags = await compute()
        self.put(key, value, tags, generation=generation)
        return value

    def invalidate(self, tags: set[str]) -> None:
        self.generation += 1
        if CLEAR in tags:
            self.clear()
            return
        for name in tags:
            for key in list(self.by_tag.get(name, ())):
                self._drop(key)

    def clear(self) -> None:
        self.generation += 1
        self.entries.clear()
        self.by_tag.clear()
        self.size = 0

    def _drop(self, key: K) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        self.size -= entry.size
        for name in entry.tags:
            keys = self.by_tag.get(name)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_tag[name]
