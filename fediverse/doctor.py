"""`fediverse doctor`: check config, database, keys, queue and media, and say plainly what is wrong."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from fediverse.activitypub.signatures.keys import load_private_key, public_key_pem
from fediverse.db import accounts as account_db
from fediverse.db.migrate import current_revision, head_revision
from fediverse.models import DEAD, QUEUED, DomainHealth, Job

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


@dataclass
class Diagnosis:
    report: list[str] = field(default_factory=list)
    failed: bool = False

    def ok(self, text: str) -> None:
        self.report.append(f"ok    {text}")

    def bad(self, text: str) -> None:
        self.report.append(f"FAIL  {text}")
        self.failed = True

    def warn(self, text: str) -> None:
        self.report.append(f"warn  {text}")


async def diagnose(rt: Runtime) -> Diagnosis:
    d = Diagnosis()
    s = rt.settings
    d.ok(f"config {s.source}: {s.base_url}, jobs {s.job_backend}")
    if s.instance.scheme == "http" and not s.instance.domain.startswith(("localhost", "127.")):
        d.warn("instance.scheme is http: other servers expect https in production")
    try:
        revision = await current_revision(rt.engine)
    except Exception as exc:  # noqa: BLE001 - any driver error is the message
        d.bad(f"database {rt.engine.url.render_as_string()}: cannot connect: {exc}")
        return d
    head = head_revision()
    if revision != head:
        d.bad(f"database schema at {revision}, code expects {head}: run `fediverse migrate`")
        return d
    d.ok(f"database reachable, schema at {revision}")
    await _check_keys(rt, d)
    await _check_queue(rt, d)
    _check_media(Path(s.media.root), d)
    return d


async def _check_keys(rt: Runtime, d: Diagnosis) -> None:
    async with rt.sessions() as session:
        users = await account_db.list_local_users(session)
        instance = await account_db.by_uri(session, rt.uris.instance_actor())
        instance_user = await account_db.local_user_by_account(session, instance.id) if instance else None
    if instance_user is None:
        d.bad("instance actor missing: start `fediverse serve` once or run `fediverse migrate`")
    for user in [*users, *([instance_user] if instance_user else [])]:
        try:
            key = load_private_key(user.private_key_pem)
        except Exception as exc:  # noqa: BLE001
            d.bad(f"key of {user.account.handle} does not load: {exc}")
            continue
        if public_key_pem(key).strip() != (user.account.public_key_pem or "").strip():
            d.bad(f"public key of {user.account.handle} does not match its private key")
    d.ok(f"{len(users)} local account(s); keys checked")


async def _check_queue(rt: Runtime, d: Diagnosis) -> None:
    async with rt.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(Job).where(Job.state == QUEUED)) or 0
        dead = await session.scalar(select(func.count()).select_from(Job).where(Job.state == DEAD)) or 0
        down = list(await session.scalars(select(DomainHealth.domain).where(DomainHealth.unavailable.is_(True))))
    d.ok(f"jobs: {queued} queued, {dead} given up (kept {rt.settings.jobs.retention_days} days)")
    if down:
        d.warn(f"{len(down)} domain(s) marked unavailable: {', '.join(down[:10])}")
    if rt.settings.job_backend == "dramatiq":
        import redis

        try:
            redis.Redis.from_url(rt.settings.jobs.redis_url, socket_timeout=3).ping()
            d.ok(f"redis reachable at {rt.settings.jobs.redis_url}")
        except redis.RedisError as exc:
            d.bad(f"redis at {rt.settings.jobs.redis_url}: {exc}")


def _check_media(root: Path, d: Diagnosis) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        d.bad(f"media root {root}: {exc}")
        return
    if os.access(root, os.W_OK):
        d.ok(f"media root {root} writable")
    else:
        d.bad(f"media root {root} is not writable")
