"""Flag: a report from another server about one of our accounts or works (services.reports files it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fediverse.activitypub.moderation import parse_flag
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.models import Account
from fediverse.services.reports import receive_flag

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime


async def on_flag(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    try:
        flag = parse_flag(activity)
    except ParseError as exc:
        return f"ignored: {exc}"
    return await receive_flag(session, actor, flag)
