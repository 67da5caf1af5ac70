"""A button on an admin page that changes one thing by id: the POST carries no fields but the CSRF token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from fediverse.web.panel.forms import read_form
from fediverse.web.panel.render import redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def press(request: Request, session: AsyncSession, back: str, change: Callable[[], Awaitable[T]],
                said: Callable[[T], str]) -> Response:
    """Check the form, make the change (the service called commits it), then go back to `back` saying what
    happened."""
    await read_form(request)
    result = await change()
    return redirect(request, back, said(result))
