"""The one answer to "what is our policy on this host?": domain blocks, matched on the host and its parents.

Why one function: the inbox door, every outbound fetch, every delivery, the public pages and the media
display must agree, or a suspended server leaks back in through whichever path forgot to check. Matching is
Mastodon's `DomainBlock.rule_for`: a block of example.com covers a.example.com; the most specific block wins.

Blocks are few (even big shared blocklists are a few thousand rows) and read on hot paths (each delivery), so
the whole table is kept per engine as a snapshot: re-read after `SNAPSHOT_SECONDS`, and at once in the process
that changed a block (`invalidate`). Another process (a dramatiq worker) sees a change within that time.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fediverse.models import DomainBlock

SNAPSHOT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Rule:
    """What applies to one host: the matching block's domain and its switches."""

    domain: str
    severity: str  # suspend | silence | noop
    reject_media: bool
    reject_reports: bool

    @property
    def suspended(self) -> bool:
        return self.severity == "suspend"

    @property
    def silenced(self) -> bool:
        return self.severity in ("suspend", "silence")


_snapshots: weakref.WeakKeyDictionary[Any, tuple[float, dict[str, Rule]]] = weakref.WeakKeyDictionary()


def normalize_host(value: str) -> str:
    """Lower-case host without port, user info or trailing dot ("Sub.Example.COM:443" -> "sub.example.com")."""
    host = value.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


def _engine_of(session: AsyncSession) -> Any:
    bind = session.bind
    return bind.sync_engine if isinstance(bind, AsyncEngine) else bind


def fresh_snapshot(engine: AsyncEngine) -> dict[str, Rule] | None:
    """The cached rules of this database when still fresh, else None: the hot paths (every request the HTTP
    client makes) then need no session at all."""
    cached = _snapshots.get(engine.sync_engine)
    if cached is not None and time.monotonic() - cached[0] < SNAPSHOT_SECONDS:
        return cached[1]
    return None


async def _rules(session: AsyncSession) -> dict[str, Rule]:
    key = _engine_of(session)
    cached = _snapshots.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < SNAPSHOT_SECONDS:
        return cached[1]
    rows = await session.execute(select(DomainBlock.domain, DomainBlock.severity, DomainBlock.reject_media,
                                        DomainBlock.reject_reports))
    rules = {domain: Rule(domain, severity, reject_media, reject_reports)
             for domain, severity, reject_media, reject_reports in rows.all()}
    _snapshots[key] = (now, rules)
    return rules


def invalidate(session: AsyncSession) -> None:
    """Forget the snapshot of this session's database: call after a block was created, changed or removed."""
    _snapshots.pop(_engine_of(session), None)


def parent_domains(host: str) -> list[str]:
    """mail.spam.example -> [mail.spam.example, spam.example, example]: most specific first."""
    labels = normalize_host(host).split(".")
    return [".".join(labels[start:]) for start in range(len(labels))]


def match(rules: dict[str, Rule], host: str) -> Rule | None:
    """The most specific rule for `host`: itself, then each parent domain (a.b.example.com, b.example.com …)."""
    return next((rules[name] for name in parent_domains(host) if name in rules), None)


async def rule_for(session: AsyncSession, host: str | None) -> Rule | None:
    """The block that applies to `host` (a host, netloc or URL), or None. Local content has no rule."""
    if not host:
        return None
    return match(await _rules(session), host)


async def is_suspended(session: AsyncSession, host: str | None) -> bool:
    rule = await rule_for(session, host)
    return rule is not None and rule.suspended


async def is_silenced(session: AsyncSession, host: str | None) -> bool:
    """Silenced or suspended: its content stays out of public views."""
    rule = await rule_for(session, host)
    return rule is not None and rule.silenced


def rejects_media(rules: dict[str, Rule], host: str) -> bool:
    """In a list filtered with `hidden_hosts`: no media is fetched from, or shown for, this host."""
    rule = match(rules, host) if host else None
    return rule is not None and (rule.reject_media or rule.suspended)


async def media_rejected(session: AsyncSession, host: str | None) -> bool:
    """No media is fetched from, or shown for, this host (reject_media, or suspended)."""
    return bool(host) and rejects_media(await _rules(session), host or "")


async def reports_rejected(session: AsyncSession, host: str | None) -> bool:
    rule = await rule_for(session, host)
    return rule is not None and (rule.reject_reports or rule.suspended)


async def hidden_hosts(session: AsyncSession) -> dict[str, Rule]:
    """Every rule, for filtering a list of remote items in one pass (`match(rules, host)`)."""
    return await _rules(session)
