"""The studio's "Authorised apps" page: which apps hold access to the account, with what scopes, last used
when; Revoke (a CSRF-checked POST) deletes every token the app holds for this person at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from fediverse.api import scopes as scope_rules
from fediverse.errors import NotFound
from fediverse.models import LocalUser
from fediverse.services import oauth
from fediverse.web.panel.auth import studio_view
from fediverse.web.panel.forms import read_form
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PAGE = "/studio/apps"


@studio_view
async def apps_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    apps = await oauth.authorised_apps(session, user.account_id)
    return page(request, "panel/apps.html", section="apps", apps=apps, describe=scope_rules.describe)


@studio_view
async def revoke_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    await read_form(request)
    revoked = await oauth.revoke_app_for(session, user.account_id, request.path_params["app_id"])
    if not revoked:
        raise NotFound("That app holds no access to your account (it may have been revoked already).")
    return redirect(request, PAGE, "Access revoked: the app can no longer use your account.")
