"""Shortcuts used by federation tests: create users, follow, read counts through the public HTTP API."""

from __future__ import annotations

from typing import Any

from fediverse.db import accounts as account_db
from fediverse.db import follows as follow_db
from fediverse.models import LocalUser
from fediverse.services import accounts, following
from tests.support import Instance

AP_ACCEPT = {"Accept": "application/activity+json"}


async def make_user(instance: Instance, username: str, **options: Any) -> LocalUser:
    async with instance.rt.sessions() as session:
        user = await accounts.create_user(instance.rt, session, username, **options)
        await session.commit()
    return user


async def user(instance: Instance, username: str) -> LocalUser:
    async with instance.rt.sessions() as session:
        found = await account_db.local_user(session, username)
    assert found is not None
    return found


async def act(instance: Instance, action: str, username: str, handle: str) -> Any:
    """Run a following service (follow, unfollow, approve, reject) as `username` and commit."""
    async with instance.rt.sessions() as session:
        me = await account_db.local_user(session, username)
        assert me is not None
        result = await getattr(following, action)(instance.rt, session, me, handle)
        await session.commit()
    return result


async def edge_state(instance: Instance, follower_uri: str, followee_uri: str) -> str | None:
    async with instance.rt.sessions() as session:
        a = await account_db.by_uri(session, follower_uri)
        b = await account_db.by_uri(session, followee_uri)
        if a is None or b is None:
            return None
        edge = await follow_db.between(session, a.id, b.id)
    return edge.state if edge else None


async def get_json(instance: Instance, url: str) -> dict[str, Any]:
    async with instance.client() as client:
        response = await client.get(url, headers=AP_ACCEPT)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/activity+json")
    return response.json()
