"""The audit's HTTP: bounded GETs and HEADs (federation/bounded_get.py) through the address guard, unsigned, as a
scraper's requests are; every failure becomes FetchFailed, with a message for the report."""

from __future__ import annotations

from typing import Mapping

import httpx

from fediverse.errors import FediverseError
from fediverse.federation.addresses import check_url
from fediverse.federation.bounded_get import BodyTooLarge, Fetched, bounded_get
from fediverse.services.consent_audit.report import AuditLimits


class FetchFailed(Exception):
    """A URL could not be read; the message goes into the report as the item's error."""


class Fetcher:
    """GET/HEAD with the address guard on every hop, bounded redirects, a per-request time-out and a size cap."""

    def __init__(self, client: httpx.AsyncClient, limits: AuditLimits, *, allow_private: bool,
                 resolve_first: bool = True) -> None:
        self.client = client
        self.limits = limits
        self.allow_private = allow_private
        self.resolve_first = resolve_first  # False over the pinned transport, which checks at connect time
        self.hop = ""  # the URL last sent (or refused): what a failure's message names

    async def get(self, url: str, *, accept: str, method: str = "GET", max_bytes: int | None = None,
                  cut: bool = False, headers: Mapping[str, str] | None = None) -> Fetched:
        """``cut``: a body over the cap is cut there (media); otherwise it is an error (documents)."""
        cap = self.limits.max_bytes if max_bytes is None else max_bytes
        sent = {"Accept": accept, **(headers or {})}
        try:
            return await bounded_get(self.client, url, guard=self._guard, headers=lambda _hop: sent, method=method,
                                     max_redirects=self.limits.max_redirects, max_bytes=cap, cut=cut,
                                     hop_timeout=self.limits.timeout)
        except TimeoutError:
            raise FetchFailed(f"{self.hop[:200]}: no answer within {self.limits.timeout:g}s") from None
        except BodyTooLarge:
            raise FetchFailed(f"{self.hop[:200]}: body over the {cap}-byte cap") from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{self.hop[:200]}: {type(exc).__name__}: {exc}") from None
        except FediverseError as exc:  # too many redirects, or the pinned transport refused the address it resolved
            raise FetchFailed(str(exc)) from None

    async def _guard(self, url: str) -> None:
        """Every hop: the address guard (it resolves first unless the pinned transport checks at connect time)."""
        self.hop = url
        try:
            await check_url(url, allow_private=self.allow_private, resolve=self.resolve_first)
        except FediverseError as exc:
            raise FetchFailed(str(exc)) from None
