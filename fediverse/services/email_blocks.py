"""E-mail domains refused at sign-up; a block covers the domain and every subdomain (as Mastodon's does)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db.domain_policy import parent_domains
from fediverse.errors import Conflict, Invalid, found
from fediverse.models import EmailDomainBlock, LocalUser
from fediverse.services import modlog
from fediverse.services.blocklist_csv import clean_domain

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@([^@\s<>\"',;]{1,253})$")


def normalise_domain(text: str) -> str:
    """As domain blocks store theirs (lower case, IDNA), with a leading "@" of a pasted address allowed."""
    return clean_domain(text.strip().lstrip("@"))


def email_domain(email: str) -> str:
    """The domain of a plausible address, normalised; Invalid for anything that is not one."""
    match = EMAIL_RE.match(email.strip())
    if not match:
        raise Invalid("enter an e-mail address like name@example.org")
    return normalise_domain(match.group(1))


candidates = parent_domains  # a block on any of them applies


async def blocking(session: AsyncSession, domain: str) -> str | None:
    """The blocked domain that covers `domain`, or None."""
    return await session.scalar(select(EmailDomainBlock.domain)
                                .where(EmailDomainBlock.domain.in_(candidates(domain))).limit(1))


async def add(session: AsyncSession, admin: LocalUser, text: str) -> EmailDomainBlock:
    """Block a domain (and its subdomains) for sign-ups; audited and committed."""
    domain = normalise_domain(text)
    if await session.scalar(select(EmailDomainBlock).where(EmailDomainBlock.domain == domain)) is not None:
        raise Conflict(f"{domain} is already blocked")
    block = EmailDomainBlock(domain=domain)
    session.add(block)
    modlog.record(session, admin, "email_block.add", "email_domain", domain)
    await session.commit()
    return block


async def remove(session: AsyncSession, admin: LocalUser, block_id: int) -> str:
    """Lift a block; audited and committed. Returns the domain."""
    block = found(await session.get(EmailDomainBlock, block_id), "no such e-mail domain block")
    await session.delete(block)
    modlog.record(session, admin, "email_block.remove", "email_domain", block.domain)
    await session.commit()
    return block.domain


async def listed(session: AsyncSession) -> list[EmailDomainBlock]:
    return list((await session.scalars(select(EmailDomainBlock).order_by(EmailDomainBlock.domain))).all())
