"""Remote keys: cached, re-fetched once when a signature fails (rotation), tied to their actor."""

from __future__ import annotations

import orjson
from sqlalchemy import func, select

from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.activitypub.signatures.keys import generate_private_key, private_key_to_pem, public_key_pem
from fediverse.db import accounts as account_db
from fediverse.models import Account, InboundActivity
from tests.federation.helpers import act, edge_state, make_user, user
from tests.support import Network


async def rotate_key(instance, username: str) -> None:  # type: ignore[no-untyped-def]
    key = generate_private_key()
    async with instance.rt.sessions() as session:
        me = await account_db.local_user(session, username)
        assert me is not None
        me.private_key_pem = private_key_to_pem(key)
        me.account.public_key_pem = public_key_pem(key)
        await session.commit()
        instance.rt._signers.pop(me.account_id, None)


async def test_rotated_key_is_refetched_once_and_the_activity_goes_through(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    async with a.rt.sessions() as session:
        old_pem = (await account_db.by_uri(session, bob.account.uri)).public_key_pem  # type: ignore[union-attr]

    await rotate_key(b, "bob")
    await act(b, "unfollow", "bob", "alice@art.test")
    await network.drain()

    assert await edge_state(a, bob.account.uri, alice.account.uri) is None
    async with a.rt.sessions() as session:
        cached = await account_db.by_uri(session, bob.account.uri)
    assert cached is not None and cached.public_key_pem != old_pem


async def test_key_of_another_actor_cannot_sign_for_this_one(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")
    mallory = await make_user(b, "mallory")
    signer = b.rt.signer_for(await user(b, "mallory"))
    body = orjson.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": "https://social.test/x/1",
                         "type": "Follow", "actor": "https://social.test/users/bob", "object": "https://art.test/users/alice"})
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_cavage("POST", "https://art.test/inbox", headers, body, signer.key_id, signer.private_key)
    async with a.client() as client:
        response = await client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 401
    assert mallory.account.uri in response.json()["error"]


async def test_unknown_actor_deleting_itself_is_acknowledged_without_fetching(network: Network) -> None:
    a = await network.add("art.test")
    body = orjson.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": "https://gone.test/users/x#delete",
                         "type": "Delete", "actor": "https://gone.test/users/x", "object": "https://gone.test/users/x"})
    async with a.client() as client:
        response = await client.post("/inbox", content=body, headers={"Content-Type": "application/activity+json"})
    assert response.status_code == 202
    async with a.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboundActivity)) == 0
        assert await session.scalar(select(func.count()).select_from(Account).where(Account.domain == "gone.test")) == 0
