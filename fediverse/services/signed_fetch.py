"""Authorized fetch: the signer of a GET, checked before a document is served in authorized-fetch mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.federation.signed import SignedRequest, verified_signer
from fediverse.models import Account

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


async def check_fetch(rt: Runtime, session: AsyncSession, request: SignedRequest) -> Account:
    """The account whose key signed `request`; SignatureError (401) or KeyUnavailable (503) otherwise.

    Commits what verification learnt (a fetched or refreshed key), so this actor's next fetch is one read."""
    signer = await verified_signer(rt, session, request)
    await session.commit()
    return signer
