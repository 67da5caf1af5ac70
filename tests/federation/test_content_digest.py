"""RFC 9530 Content-Digest with sha-512 (as RFC 9421 signers may send it): the digest binds the body to the
signature, so every digest offered is compared with the body and a mismatch is refused before anything is stored."""

from __future__ import annotations

import base64
import hashlib

import pytest
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from sqlalchemy import func, select

from fediverse.activitypub.signatures.keys import load_private_key
from fediverse.models import InboundActivity
from tests.federation.helpers import edge_state, user
from tests.federation.test_third_party_signatures import AP, Message, follow_body, post
from tests.federation.test_third_party_signatures import setup as two_instances
from tests.support import Instance, Network


def sf_digest(algorithm: str, body: bytes) -> str:
    return f"{algorithm}=:{base64.b64encode(hashlib.new(algorithm.replace('-', ''), body).digest()).decode()}:"


async def signed_with_digest(sender: Instance, bob: str, content_digest: str) -> dict[str, str]:
    """Headers of an RFC 9421 signature by bob that covers the given Content-Digest field as it is."""
    key = load_private_key((await user(sender, "bob")).private_key_pem)
    message = Message("POST", "https://art.test/users/alice/inbox", {"Content-Type": AP, "Content-Digest": content_digest})
    HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256,
                      key_resolver=MappingKeyResolver(public_keys={}, private_keys={f"{bob}#main-key": key})
                      ).sign(message, key_id=f"{bob}#main-key", use_existing_digest=True,
                             covered_component_ids=("@method", "@target-uri", "content-digest"))
    return message.headers


async def stored(instance: Instance) -> int:
    async with instance.rt.sessions() as session:
        return await session.scalar(select(func.count()).select_from(InboundActivity)) or 0


@pytest.mark.parametrize("digest_of", [
    lambda sent, other: sf_digest("sha-512", other),  # a sha-512 digest of another body
    lambda sent, other: f"{sf_digest('sha-256', sent)}, {sf_digest('sha-512', other)}",  # one right, one wrong
    lambda sent, other: f"{sf_digest('sha-512', other)}, {sf_digest('sha-256', sent)}",
], ids=["sha-512-only", "sha-256-right-sha-512-wrong", "sha-512-wrong-first"])
async def test_sha512_content_digest_that_does_not_match_the_body_is_refused(network: Network, digest_of) -> None:  # type: ignore[no-untyped-def]
    a, b, alice, bob = await two_instances(network)
    sent, other = follow_body(bob, alice, 1), follow_body(bob, alice, 2)
    headers = await signed_with_digest(b, bob, digest_of(sent, other))
    assert await post(a, sent, headers) == 401
    assert await stored(a) == 0
    await network.drain()
    assert await edge_state(a, bob, alice) is None


@pytest.mark.parametrize("algorithms_sent", [("sha-512",), ("sha-256", "sha-512")], ids=["sha-512", "sha-256-and-sha-512"])
async def test_a_matching_sha512_content_digest_is_accepted(network: Network, algorithms_sent: tuple[str, ...]) -> None:
    """The positive control: the same request with the digest of the body it carries is processed."""
    a, b, alice, bob = await two_instances(network)
    sent = follow_body(bob, alice, 1)
    headers = await signed_with_digest(b, bob, ", ".join(sf_digest(name, sent) for name in algorithms_sent))
    assert await post(a, sent, headers) == 202
    await network.drain()
    assert await edge_state(a, bob, alice) == "accepted"
