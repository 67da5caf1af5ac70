"""Domain blocks: create, change, lift, import and export; each one audited in the same transaction.

Each change is a use case that commits, then drops this process's policy snapshot so the change applies at
once; a refused change raises before anything is written or committed.

A new (or raised) suspend block does what Mastodon's BlockDomainService does for us: follows with accounts on
the domain are severed and deliveries still queued for it are dropped. Enforcement itself lives in one place,
db/domain_policy.py (inbox door, fetches, deliveries, public pages, media).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import domain_blocks as block_db
from fediverse.db import domain_policy
from fediverse.errors import Conflict, found
from fediverse.models import DomainBlock, LocalUser
from fediverse.services import modlog
from fediverse.services.blocklist_csv import BlockInput, check_block, parse_csv


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    skipped: list[str]  # already covered by a block (Mastodon skips those too)


# What a form or CSV row sets on a block (everything but the domain, which names it).
_SETTINGS = ("severity", "reject_media", "reject_reports", "public_comment", "private_comment", "obfuscate")


def _apply(block: DomainBlock, data: BlockInput) -> None:
    for name in _SETTINGS:
        setattr(block, name, getattr(data, name))


def _details(block: DomainBlock) -> dict[str, object]:
    return {"severity": block.severity, "reject_media": block.reject_media, "reject_reports": block.reject_reports,
            "obfuscate": block.obfuscate}


async def _cut_off(session: AsyncSession, domain: str) -> dict[str, int]:
    """What a suspension severs at once: follows both ways, and queued deliveries."""
    follows = await block_db.sever_follows(session, domain)
    jobs = await block_db.drop_queued_jobs(session, domain, f"{domain} was suspended by a domain block")
    return {"follows_removed": follows, "deliveries_dropped": jobs}


async def create(session: AsyncSession, user: LocalUser, data: BlockInput) -> DomainBlock:
    """A new block; Conflict if this exact domain is already blocked (edit that block instead)."""
    data = check_block(data)
    if await block_db.by_domain(session, data.domain) is not None:
        raise Conflict(f"{data.domain} is already blocked; edit that block instead")
    block = DomainBlock(domain=data.domain, created_by_id=user.account_id)
    _apply(block, data)
    session.add(block)
    await session.flush()
    effects = await _cut_off(session, data.domain) if block.severity == "suspend" else {}
    modlog.record(session, user, "domain_block.create", "domain", data.domain, data.private_comment,
                  **_details(block), **effects)
    await session.commit()
    domain_policy.invalidate(session)  # this process applies the change at once
    return block


async def update(session: AsyncSession, user: LocalUser, block_id: int, data: BlockInput) -> DomainBlock:
    """Change a block's switches (its domain stays); raising it to suspend severs as a new suspension does."""
    block = await _get(session, block_id)
    data = check_block(BlockInput(block.domain, data.severity, data.reject_media, data.reject_reports,
                                  data.public_comment, data.private_comment, data.obfuscate))
    was = block.severity
    _apply(block, data)
    effects = await _cut_off(session, block.domain) if block.severity == "suspend" and was != "suspend" else {}
    modlog.record(session, user, "domain_block.update", "domain", block.domain, data.private_comment,
                  previous_severity=was, **_details(block), **effects)
    await session.commit()
    domain_policy.invalidate(session)  # this process applies the change at once
    return block


async def remove(session: AsyncSession, user: LocalUser, block_id: int, reason: str) -> str:
    """Lift a block. Severed follows stay severed (as on Mastodon); people may follow again."""
    block = await _get(session, block_id)
    domain = block.domain
    await session.delete(block)
    modlog.record(session, user, "domain_block.delete", "domain", domain, reason, severity=block.severity)
    await session.commit()
    domain_policy.invalidate(session)  # this process applies the change at once
    return domain


async def import_csv(session: AsyncSession, user: LocalUser, data: bytes, reason: str) -> ImportResult:
    """Every row is validated before anything is written; domains already covered by a block are skipped."""
    rows = parse_csv(data)
    rules = dict(await domain_policy.hidden_hosts(session))
    created: list[str] = []
    skipped: list[str] = []
    for row in rows:
        if domain_policy.match(rules, row.domain) is not None:  # a parent listed earlier in the file counts too
            skipped.append(row.domain)
            continue
        rules[row.domain] = domain_policy.Rule(row.domain, row.severity, row.reject_media, row.reject_reports)
        block = DomainBlock(domain=row.domain, created_by_id=user.account_id)
        _apply(block, BlockInput(row.domain, row.severity, row.reject_media, row.reject_reports,
                                 row.public_comment, reason.strip()[:1000], row.obfuscate))
        session.add(block)
        await session.flush()
        effects = await _cut_off(session, row.domain) if row.severity == "suspend" else {}
        modlog.record(session, user, "domain_block.create", "domain", row.domain, reason, source="csv import",
                      **_details(block), **effects)
        created.append(row.domain)
    modlog.record(session, user, "domain_block.import", "domain", f"{len(created)} domains", reason,
                  created=len(created), skipped=len(skipped))
    await session.commit()
    domain_policy.invalidate(session)  # this process applies the change at once
    return ImportResult(created, skipped)


async def _get(session: AsyncSession, block_id: int) -> DomainBlock:
    return found(await block_db.by_id(session, block_id), f"no domain block {block_id}")


def obfuscated(domain: str) -> str:
    """Mastodon's public obfuscation (DomainBlock#public_domain): the middle of the name becomes stars."""
    length = len(domain)
    visible = length // 4
    return domain[:visible] + "*" * (length - 2 * visible) + domain[length - visible:] if visible else "*" * length
