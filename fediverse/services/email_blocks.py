"""E-mail domains refused at sign-up; a block covers the domain and every subdomain (as Mastodon's does)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.models import EmailDomainBlock, LocalUser
from fediverse.services import modlog

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@([^@\s<>\"',;]{1,253})$")


def normalise_domain(text: str) -> str:
    domain = text.strip().lower().lstrip("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid(f"{text[:100]!r} is not a domain name") from None
    if not DOMAIN_RE.match(domain):
        raise Invalid(f"{text[:100]!r} is not a domain name (e.g. spam.example)")
    return domain


def email_domain(email: str) -> str:
    """The domain of a plausible address, normalised; Invalid for anything that is not one."""
    match = EMAIL_RE.match(email.strip())
    if not match:
        raise Invalid("enter an e-mail address like name@example.org")
    return normalise_domain(match.group(1))


def candidates(domain: str) -> list[str]:
    """mail.spam.example -> [mail.spam.example, spam.example, example]: a block on any of them applies."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


async def blocking(session: AsyncSession, domain: str) -> str | None:
    """The blocked domain that covers `domain`, or None."""
    return await session.scalar(select(EmailDomainBlock.domain)
                                .where(EmailDomainBlock.domain.in_(candidates(domain))).limit(1))


async def add(session: AsyncSession, admin: LocalUser, text: str) -> EmailDomainBlock:
    domain = normalise_domain(text)
    if await session.scalar(select(EmailDomainBlock).where(EmailDomainBlock.domain == domain)) is not None:
        raise Conflict(f"{domain} is already blocked")
    block = EmailDomainBlock(domain=domain)
    session.add(block)
    modlog.record(session, admin, "email_block.add", "email_domain", domain)
    return block


async def remove(session: AsyncSession, admin: LocalUser, block_id: int) -> str:
    block = await session.get(EmailDomainBlock, block_id)
    if block is None:
        raise NotFound("no such e-mail domain block")
    await session.delete(block)
    modlog.record(session, admin, "email_block.remove", "email_domain", block.domain)
    return block.domain


async def listed(session: AsyncSession) -> list[EmailDomainBlock]:
    return list((await session.scalars(select(EmailDomainBlock).order_by(EmailDomainBlock.domain))).all())
