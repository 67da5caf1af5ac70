"""Requests signed by third-party libraries reach our inbox and are processed; authorized fetch works."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
import pytest
from sqlalchemy import select
from apsig.draft.sign import Signer as ApsigSigner
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.activitypub.signatures.keys import load_private_key
from fediverse.models import InboundActivity
from tests.federation.helpers import edge_state, make_user, user
from tests.support import Instance, Network

AP = "application/activity+json"


@dataclass
class Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


async def setup(network: Network) -> tuple[Instance, Instance, str, str]:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    return a, b, alice.account.uri, bob.account.uri


def follow_body(bob: str, alice: str, n: int) -> bytes:
    return orjson.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": f"https://social.test/follows/{n}",
                         "type": "Follow", "actor": bob, "object": alice})


async def post(a: Instance, body: bytes, headers: dict[str, str]) -> int:
    async with a.client() as client:
        response = await client.post("/users/alice/inbox", content=body, headers=headers)
    return response.status_code


async def test_apsig_cavage_signed_follow_is_verified_and_accepted(network: Network) -> None:
    a, b, alice, bob = await setup(network)
    key = load_private_key((await user(b, "bob")).private_key_pem)
    body = follow_body(bob, alice, 1)
    headers = ApsigSigner(headers={"Content-Type": AP}, private_key=key, method="POST",
                          url="https://art.test/users/alice/inbox", key_id=f"{bob}#main-key", body=body).sign()
    assert await post(a, body, dict(headers)) == 202
    await network.drain()
    assert await edge_state(a, bob, alice) == "accepted"
    async with b.rt.sessions() as session:  # our signed Accept reached B and verified there
        accepted = await session.scalar(select(InboundActivity).where(InboundActivity.type == "Accept"))
    assert accepted is not None and accepted.raw["object"]["id"] == "https://social.test/follows/1"


@pytest.mark.parametrize("components", [("@method", "@target-uri"), ("@method", "@authority", "@path", "content-type")])
async def test_rfc9421_signed_follow_from_http_message_signatures_is_accepted(network: Network, components: tuple[str, ...]) -> None:
    a, b, alice, bob = await setup(network)
    key = load_private_key((await user(b, "bob")).private_key_pem)
    body = follow_body(bob, alice, 2)
    message = Message("POST", "https://art.test/users/alice/inbox", {"Content-Type": AP})
    HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256,
                      key_resolver=MappingKeyResolver(public_keys={}, private_keys={f"{bob}#main-key": key})
                      ).sign(message, key_id=f"{bob}#main-key", covered_component_ids=components, body=body)
    assert "content-digest" in message.headers["Signature-Input"]
    assert await post(a, body, message.headers) == 202
    await network.drain()
    assert await edge_state(a, bob, alice) == "accepted"


async def test_rfc9421_signature_over_another_body_is_refused(network: Network) -> None:
    a, b, alice, bob = await setup(network)
    key = load_private_key((await user(b, "bob")).private_key_pem)
    message = Message("POST", "https://art.test/users/alice/inbox", {"Content-Type": AP})
    HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256,
                      key_resolver=MappingKeyResolver(public_keys={}, private_keys={f"{bob}#main-key": key})
                      ).sign(message, key_id=f"{bob}#main-key", covered_component_ids=("@method", "@target-uri"),
                             body=follow_body(bob, alice, 3))
    assert await post(a, follow_body(bob, alice, 4), message.headers) == 401


async def test_authorized_fetch_refuses_unsigned_gets_but_serves_signed_ones(network: Network) -> None:
    a = await network.add("art.test", federation={"authorized_fetch": True})
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    await make_user(b, "bob")
    accept = {"Accept": AP}
    async with b.client() as client:
        unsigned = await client.get(alice.account.uri, headers=accept)
        assert unsigned.status_code == 401
        assert (await client.get(f"{alice.account.uri}/followers", headers=accept)).status_code == 401
        instance_actor = await client.get("https://art.test/actor", headers=accept)
        assert instance_actor.status_code == 200  # stays public: it breaks the key-fetch loop
        signer = b.rt.signer_for(await user(b, "bob"))
        signed_headers = accept | sign_cavage("GET", alice.account.uri, accept, None, signer.key_id, signer.private_key)
        signed = await client.get(alice.account.uri, headers=signed_headers)
    assert signed.status_code == 200
    assert signed.json()["id"] == alice.account.uri
    # B's own fetches are signed by its instance actor, so following still works against a locked-down server
    from tests.federation.helpers import act

    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    assert await edge_state(b, "https://social.test/users/bob", alice.account.uri) == "accepted"
