"""Helpers for the posting tests: tokens with chosen scopes, image uploads, and counting what was written."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from fediverse.models import LocalNote, MediaUpload, Status, Work
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.support import Instance
from tests.web.panel_client import jpeg


async def token(instance: Instance, username: str, scopes: str = "read write") -> dict[str, str]:
    """The Authorization header of a token of a registered app for this person, with these scopes."""
    return bearer(await token_for(instance, username, scopes))


async def upload(client: httpx.AsyncClient, headers: dict[str, str], *, description: str | None = "A harbour",
                 focus: str | None = None, data: bytes | None = None, version: int = 2,
                 colour: tuple[int, int, int] = (20, 90, 160)) -> httpx.Response:
    fields = {name: value for name, value in (("description", description), ("focus", focus)) if value is not None}
    return await client.post(f"/api/v{version}/media", headers=headers, data=fields,
                             files={"file": ("harbour.jpg", data if data is not None else jpeg(80, 60, colour),
                                             "image/jpeg")})


async def counts(instance: Instance) -> dict[str, int]:
    """Rows of what posting writes (works, text notes, statuses, media uploads)."""
    async with instance.rt.sessions() as session:
        return {model.__name__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Work, LocalNote, Status, MediaUpload)}


async def attached(instance: Instance, media_id: int) -> int | None:
    async with instance.rt.sessions() as session:
        found = await session.get(MediaUpload, media_id)
        assert found is not None
        return found.status_id


def error_of(response: httpx.Response) -> Any:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]
