"""The panel's Origin check compares the whole origin: one that merely starts like ours is another site."""

from __future__ import annotations

import pytest

from fediverse.db import accounts as account_db
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, login, token

LOOKALIKES = [
    "https://art.test.evil.example",  # a subdomain of ours on someone else's domain
    "https://art.testing.example",
    "https://art.test:8443",
    "https://art.test@evil.example",
    "http://art.test",
    "null",  # sandboxed frames and some redirects
]


async def display_name(art: Instance) -> str:
    async with art.rt.sessions() as session:
        alice = await account_db.by_uri(session, f"{art.base}/users/alice")
    assert alice is not None
    return alice.display_name


@pytest.mark.parametrize("origin", LOOKALIKES)
async def test_a_post_from_an_origin_that_only_looks_like_ours_is_refused(network: Network, origin: str) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD, display_name="Alice")
    async with browser(art) as client:
        assert (await login(client, "alice")).status_code == 303
        csrf = await token(client, "/studio/profile")
        forged = await client.post("/studio/profile", data={"csrf_token": csrf, "display_name": "Mallory"},
                                   headers={"Origin": origin})
        assert forged.status_code == 403
        assert f"This form was sent from {origin}, not from https://art.test." in forged.text
        assert await display_name(art) == "Alice"
        same = await client.post("/studio/profile", data={"csrf_token": csrf, "display_name": "Alice A."},
                                 headers={"Origin": "https://art.test"})  # the positive control
        assert same.status_code == 303
    assert await display_name(art) == "Alice A."
