"""Profile edits, federated to followers as Update(Person) so their servers refresh the card."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render import ACTOR_CONTEXT, AS_PUBLIC, render_actor
from fediverse.errors import Invalid
from fediverse.federation.outbox import publish
from fediverse.models import LocalUser
from fediverse.services.text import plain_to_html

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

MAX_NAME = 100
MAX_BIO = 5000
MAX_FIELDS = 8


async def update_profile(
    rt: Runtime, session: AsyncSession, user: LocalUser, *, display_name: str | None = None, summary: str | None = None,
    fields: list[tuple[str, str]] | None = None, manually_approves_followers: bool | None = None,
) -> None:
    account = user.account
    if display_name is not None:
        if len(display_name) > MAX_NAME:
            raise Invalid(f"display name must be at most {MAX_NAME} characters")
        account.display_name = display_name
    if summary is not None:
        if len(summary) > MAX_BIO:
            raise Invalid(f"bio must be at most {MAX_BIO} characters")
        account.summary = summary
    if fields is not None:
        if len(fields) > MAX_FIELDS:
            raise Invalid(f"at most {MAX_FIELDS} profile fields")
        account.fields = [{"name": name[:255], "value": value[:2047]} for name, value in fields]
    if manually_approves_followers is not None:
        account.manually_approves_followers = manually_approves_followers
    actor = render_actor(account, rt.uris, summary_html=plain_to_html(account.summary))
    actor.pop("@context")
    update = {"@context": ACTOR_CONTEXT, "id": rt.uris.new_activity(), "type": "Update", "actor": account.uri,
              "to": [AS_PUBLIC], "cc": [account.followers_url], "object": actor}
    await publish(session, account, update, followers=True)
