"""Interop with Fedify, a third-party ActivityPub framework (npm @fedify/fedify), over real HTTP.

Our server runs as `fediverse serve` in a subprocess behind a loopback TLS terminator
(https://127.0.0.1:<port>: WebFinger of an acct: handle is https-only in Fedify).
The peer, tests/interop/fedify/peer.mjs, is a Fedify actor `bob` on http://127.0.0.1:<port>.
Everything federation-related on the peer side is Fedify's own code: WebFinger lookup,
actor fetch and JSON-LD processing, HTTP signatures (it signs with RFC 9421 or
draft-cavage and verifies whatever we send), and its inbox.

Install the peer once (CI does it in .ci/run):  npm ci --prefix tests/interop/fedify
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from fediverse.activitypub.signatures.cavage import sign_cavage
from tests.interop.fedify_peer import FedifyPeer, fedify_version
from tests.interop.support import OurServer, make_certs, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.requires("fedify"),
]

FIRST_KNOCKS = ["rfc9421", "draft-cavage-http-signatures-12"]
SCHEME = {"rfc9421": "rfc9421", "draft-cavage-http-signatures-12": "draft-cavage"}


@pytest.fixture
def certs(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_certs(tmp_path / "certs")


@pytest.fixture
def server(tmp_path: Path, certs) -> Iterator[OurServer]:  # type: ignore[no-untyped-def]
    ours = OurServer(tmp_path, certs)
    try:
        ours.start()
        ours.cli("user", "create", "alice", "--name", "Alice")
        yield ours
        assert ours.backing is not None
        ours.backing.check_used()
    finally:
        ours.stop()


@pytest.fixture
def peer_factory(tmp_path: Path, certs) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    peers: list[FedifyPeer] = []

    def start(first_knock: str = "rfc9421") -> FedifyPeer:
        peer = FedifyPeer(tmp_path, certs.ca, first_knock=first_knock)
        peers.append(peer)
        return peer

    try:
        yield start
    finally:
        for peer in peers:
            peer.stop()


def _diagnostics(server: OurServer, peer: FedifyPeer, result: Any = None) -> str:
    shown = json.dumps(result, indent=1, default=str)[:6000] if result is not None else ""
    return (f"\nFedify {fedify_version()} result:\n{shown}\n--- Fedify log (tail) ---\n{peer.log()[-6000:]}"
            f"\n--- our server log (tail) ---\n{server.log()[-6000:]}")


def _collection(server: OurServer, name: str) -> tuple[int, list[str]]:
    collection = server.get_json(f"/users/alice/{name}")
    page = server.get_json(f"/users/alice/{name}?page=1")
    return int(collection["totalItems"]), list(page.get("orderedItems", []))


@pytest.mark.parametrize("first_knock", FIRST_KNOCKS)
def test_fedify_finds_follows_and_is_accepted_by_our_artist(server: OurServer, peer_factory: Any, first_knock: str) -> None:
    """Fedify: WebFinger acct:alice@our-host -> actor -> signed Follow -> our signed Accept, verified by Fedify."""
    peer = peer_factory(first_knock)
    alice = f"{server.base_url}/users/alice"

    result = peer.command("follow", handle=f"alice@{server.domain}", timeout=30)
    info = _diagnostics(server, peer, result)

    # Fedify's WebFinger lookup of our artist, and the actor behind it.
    jrd = result.get("webfinger") or {}
    assert jrd.get("subject") == f"acct:alice@{server.domain}", info
    assert result.get("actor") == alice, info
    assert result.get("actorMatchesWebFinger") is True, info
    assert result.get("inbox") == f"{alice}/inbox", info
    assert result.get("publicKeyId") == f"{alice}#main-key", info

    # Fedify's Follow reached our inbox on the first knock, signed with the scheme asked for.
    deliveries = result.get("deliveries") or []
    assert [(d["url"], d.get("signature"), d.get("status")) for d in deliveries] == [
        (f"{alice}/inbox", SCHEME[first_knock], 202)
    ], info

    # Our Accept arrived in Fedify's inbox and passed Fedify's signature check
    # (its listeners only run for verified activities) and it answers that Follow.
    assert result.get("ok") is True, info
    answer = result["answer"]
    assert answer["type"] == "Accept", info
    assert answer["actor"] == alice, info
    assert answer["object"] == result["follow"], info
    assert urlsplit(answer["id"]).netloc == server.domain, info
    state = peer.command("state")["state"]
    assert state["unverified"] == [] and state["inboxErrors"] == [], _diagnostics(server, peer, state)
    inbound_posts = [e for e in state["incoming"] if e["method"] == "POST"]
    assert [(e["signature"], e["status"]) for e in inbound_posts] == [("draft-cavage", 202)], \
        _diagnostics(server, peer, state)

    # Our side, through our public API: the Fedify actor is alice's one follower.
    total, items = _collection(server, "followers")
    assert (total, items) == (1, [peer.actor]), info


def test_our_artist_follows_fedify_actor_and_gets_accepted(server: OurServer, peer_factory: Any) -> None:
    """`fediverse follow alice bob@fedify-host`: our signed Follow is verified by Fedify, its Accept by us."""
    peer = peer_factory("rfc9421")
    alice = f"{server.base_url}/users/alice"

    done = server.cli("follow", "alice", peer.handle)
    assert "pending" in done.stdout, done.stdout + done.stderr

    result = peer.command("wait_follower", actor=alice, timeout=30)
    info = _diagnostics(server, peer, result)
    assert result.get("ok") is True, info
    follow = result["follow"]
    assert follow["actor"] == alice and follow["object"] == peer.actor, info
    assert urlsplit(follow["id"]).netloc == server.domain, info

    # Fedify's Accept (signed with RFC 9421, its default first knock) was taken by our inbox.
    state = peer.command("state")["state"]
    info = _diagnostics(server, peer, state)
    assert state["unverified"] == [] and state["inboxErrors"] == [], info
    accepts = [e for e in state["outgoing"] if e["method"] == "POST" and e["url"] == f"{alice}/inbox"]
    assert [(e["signature"], e.get("status")) for e in accepts] == [("rfc9421", 202)], info

    # Our following collection shows the Fedify actor once the Accept is processed.
    following = wait_until(lambda: _collection(server, "following") == (1, [peer.actor]) or None,
                           timeout=30, what="alice's following collection to list the Fedify actor")
    assert following, info
    shown = server.cli("user", "show", "alice").stdout
    assert "following: 1" in shown, shown


def test_fedify_refuses_a_forged_accept_from_our_artist(server: OurServer, peer_factory: Any) -> None:
    """Control: Fedify really verifies — an Accept 'from alice' signed with another key is refused with 401."""
    peer = peer_factory("rfc9421")
    alice = f"{server.base_url}/users/alice"
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{server.base_url}/activities/{uuid.uuid4()}",
        "type": "Accept",
        "actor": alice,
        "object": {"id": f"{peer.ready['origin']}/activities/{uuid.uuid4()}", "type": "Follow",
                   "actor": peer.actor, "object": alice},
    }
    body = json.dumps(accept).encode()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_cavage("POST", peer.inbox, headers, body, f"{alice}#main-key", forger))
    forged = httpx.post(peer.inbox, content=body, headers=headers, timeout=10)
    unsigned = httpx.post(peer.inbox, content=body, headers={"Content-Type": "application/activity+json"}, timeout=10)

    state = peer.command("state")["state"]
    info = _diagnostics(server, peer, state)
    assert forged.status_code == 401, info
    assert unsigned.status_code == 401, info
    assert state["received"] == [], info
    assert len(state["unverified"]) >= 1, info
