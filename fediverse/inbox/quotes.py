"""QuoteRequest (FEP-044f): a remote actor asks to quote one of our posts; the artist's policy answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fediverse.activitypub.parse_quote import parse_quote_request
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.models import Account
from fediverse.services.quotes import answer_quote_request

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime


async def on_quote_request(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    try:
        request = parse_quote_request(activity)
    except ParseError as exc:
        return f"refused: {exc}"
    return await answer_quote_request(rt, session, request, actor)
