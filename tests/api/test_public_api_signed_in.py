"""The public endpoints called with a token: its person is the viewer, so the one visibility rule decides — the
author sees her followers-only and direct notes, the mentioned reader the direct one only, a signed-out caller
neither — and a bad token is a 401, never read as signed out."""

from __future__ import annotations

from tests.api import tokens
from tests.api.oauth_client import bearer
from tests.api.world import World, make_world
from tests.federation.helpers import user
from tests.support import Network


async def token_for(w: World, username: str) -> str:
    """A read token of a registered app for this person (tests.api.tokens)."""
    return await tokens.token_for(w.art, username, "read")


async def test_a_token_makes_its_person_the_viewer_of_the_public_endpoints(network: Network) -> None:
    w = await make_world(network)
    private = {w.ids["followers_note"], w.ids["direct_note"]}
    alice_id = (await user(w.art, "alice")).account_id
    tokens = {name: await token_for(w, name) for name in ("alice", "dave")}
    async with w.art.client() as client:
        async def seen(headers: dict[str, str]) -> set[int]:
            answer = await client.get(f"/api/v1/accounts/{alice_id}/statuses?limit=40", headers=headers)
            assert answer.status_code == 200, answer.text
            return {int(s["id"]) for s in answer.json()}

        assert private <= await seen(bearer(tokens["alice"]))
        by_dave = await seen(bearer(tokens["dave"]))
        assert w.ids["direct_note"] in by_dave and w.ids["followers_note"] not in by_dave
        assert not private & await seen({})

        direct = f"/api/v1/statuses/{w.ids['direct_note']}"
        assert (await client.get(direct, headers=bearer(tokens["dave"]))).status_code == 200
        assert (await client.get(direct)).status_code == 404
        refused = await client.get(direct, headers=bearer("not-a-token"))
        assert refused.status_code == 401 and refused.json() == {"error": "The access token is invalid"}
