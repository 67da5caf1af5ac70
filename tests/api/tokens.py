"""Tokens for the signed-in API tests, issued by the same services the OAuth endpoints use."""

from __future__ import annotations

from fediverse.models import utcnow
from fediverse.services import oauth
from tests.api.oauth_client import REDIRECT
from tests.federation.helpers import user
from tests.support import Instance


async def token_for(instance: Instance, username: str, scopes: str = "read write follow push") -> str:
    """A token of a registered app for this person with these scopes."""
    granted = scopes.split()
    async with instance.rt.sessions() as session:
        app = (await oauth.register_app(session, "Test app", None, [REDIRECT], granted, utcnow())).app
        person = await user(instance, username)
        code = await oauth.issue_code(session, app, person.account_id, REDIRECT, granted, None, utcnow())
        return (await oauth.trade_code(session, app, code, REDIRECT, None, utcnow())).token
