"""An attacker's view of the inbox: signatures bound to our host, limits that trust only verified signers, key
refetches that cannot be turned against another server, a key host that never answers, absurd headers and
bodies whose duplicate keys parsers read differently."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from fediverse.activitypub.signatures.cavage import sign_cavage, signing_string
from fediverse.activitypub.signatures.keys import generate_private_key
from fediverse.config import Settings
from tests.federation.helpers import make_user, user
from tests.federation.test_inbox_bad_input import AP, follow, raw_post, stored
from tests.support import Instance, Network, StepClock

INBOX = "/users/alice/inbox"


@pytest.fixture
async def pair(network: Network) -> tuple[Instance, Instance]:
    a = await network.add("art.test", clock=StepClock())  # inbox limits and the key-refetch cooldown hold still
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")
    return a, b


async def signed_for(sender: Instance, url: str, body: bytes, *, key: Any = None, **extra: str) -> dict[str, str]:
    """Headers of a POST that bob signs for `url` (which may name another server)."""
    signer = sender.rt.signer_for(await user(sender, "bob"))
    headers = {"Content-Type": AP, **extra}
    headers.update(sign_cavage("POST", url, headers, body, signer.key_id, key or signer.private_key))
    return headers


def post_from(instance: Instance, address: str) -> httpx.AsyncClient:
    """A client connecting from `address` (the ASGI scope's client), as the web server would report it."""
    transport = httpx.ASGITransport(app=instance.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=instance.base)


# --- signatures bound to this server ---------------------------------------------------------------------------

@pytest.mark.parametrize("host_header", ["other.test", "art.test"])
async def test_a_request_signed_for_another_host_is_refused(pair: tuple[Instance, Instance], host_header: str) -> None:
    a, b = pair
    body = orjson.dumps(follow())
    headers = await signed_for(b, f"https://other.test{INBOX}", body)  # a real delivery to another server, replayed
    headers["Host"] = host_header
    status, answer = await raw_post(a, INBOX, body, headers)
    assert status == 401, answer
    assert await stored(a) == 0


async def test_a_signature_that_does_not_cover_host_is_refused(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    body = orjson.dumps(follow())
    headers = await signed_for(b, f"https://art.test{INBOX}", body)
    signer = b.rt.signer_for(await user(b, "bob"))
    # The same signature, re-made over (request-target) date digest only: valid for any server's /users/alice/inbox.
    covered = ["(request-target)", "date", "digest"]
    values = {"(request-target)": f"post {INBOX}", "date": headers["Date"], "digest": headers["Digest"]}
    raw = signer.private_key.sign(signing_string(covered, values).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (f'keyId="{signer.key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
                            f'signature="{base64.b64encode(raw).decode()}"')
    status, answer = await raw_post(a, INBOX, body, headers)
    assert status == 401 and "host" in answer["error"]
    assert await stored(a) == 0


async def test_a_request_signed_for_our_host_with_an_explicit_default_port_is_accepted(
        pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    body = orjson.dumps(follow())
    status, answer = await raw_post(a, INBOX, body, await signed_for(b, f"https://art.test{INBOX}", body, Host="art.test:443"))
    assert status == 202, answer


# --- limits that trust only what was verified ----------------------------------------------------------------------

async def test_unsigned_junk_claiming_a_peer_does_not_use_up_the_peers_budget(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    claimed = "https://social.test/users/bob"
    for n in range(700):  # from many addresses: none of them reaches its own per-address limit
        async with post_from(a, f"198.51.100.{n % 250 + 1}") as client:
            response = await client.post("/inbox", content=orjson.dumps(follow(claimed, f"https://social.test/j/{n}")),
                                         headers={"Content-Type": AP})
        assert response.status_code == 401
    body = orjson.dumps(follow())
    status, answer = await raw_post(a, INBOX, body, await signed_for(b, f"https://art.test{INBOX}", body))
    assert status == 202, answer
    assert await stored(a) == 1


async def test_random_claimed_domains_from_one_address_meet_the_address_limit(network: Network) -> None:
    a = await network.add("art.test", clock=StepClock(), spam={"inbox_per_address_per_minute": 5})
    await make_user(a, "alice")
    answers = []
    async with post_from(a, "2001:db8:7:7::1") as client:
        for n in range(7):
            actor = f"https://random{n}.example/users/x"
            response = await client.post("/inbox", content=orjson.dumps(follow(actor, f"https://random{n}.example/1")),
                                         headers={"Content-Type": AP})
            answers.append(response.status_code)
    assert answers == [401] * 5 + [429] * 2
    async with post_from(a, "2001:db8:7:7:ffff::2") as client:  # the same /64: the same budget
        response = await client.post("/inbox", content=orjson.dumps(follow()), headers={"Content-Type": AP})
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    async with post_from(a, "2001:db8:7:8::1") as client:  # another /64 is not held back
        response = await client.post("/inbox", content=orjson.dumps(follow()), headers={"Content-Type": AP})
    assert response.status_code == 401


# --- key fetches that cannot be turned against another server ----------------------------------------------------

class CountingTransport(httpx.AsyncBaseTransport):
    """Sits in front of a peer's app in the network and counts the GETs it answers (what the peer would log)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.gets: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.gets.append(str(request.url))
        return await self.inner.handle_async_request(request)


async def test_forged_signatures_within_the_cooldown_refetch_the_key_at_most_once(
        pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    counter = CountingTransport(a.network.apps["social.test"])
    a.network.apps["social.test"] = counter  # type: ignore[assignment]
    body = orjson.dumps(follow())
    status, _ = await raw_post(a, INBOX, body, await signed_for(b, f"https://art.test{INBOX}", body))
    assert status == 202  # bob's key is now cached at art.test
    first = len(counter.gets)
    forger = generate_private_key()
    for n in range(2):  # signed with another key under bob's keyId
        forged = orjson.dumps(follow(activity_id=f"https://social.test/forged/{n}"))
        status, _ = await raw_post(a, INBOX, forged, await signed_for(b, f"https://art.test{INBOX}", forged, key=forger))
        assert status == 401
    assert len(counter.gets) - first <= 1, counter.gets[first:]
    assert await stored(a) == 1


async def test_a_key_host_that_never_answers_gets_the_inbox_an_answer_within_5_seconds(network: Network) -> None:
    a = await network.add("art.test", federation={"key_fetch_seconds": Settings().federation.key_fetch_seconds})
    await make_user(a, "alice")

    async def tarpit(scope: Any, receive: Any, send: Any) -> None:  # accepts, then never answers
        await asyncio.sleep(3600)

    network.apps["tarpit.test"] = httpx.ASGITransport(app=tarpit)
    actor = "https://tarpit.test/users/eve"
    body = orjson.dumps(follow(actor, "https://tarpit.test/f/1"))
    headers = {"Content-Type": AP}
    headers.update(sign_cavage("POST", f"https://art.test{INBOX}", headers, body, f"{actor}#main-key",
                               generate_private_key()))
    started = time.monotonic()
    status, answer = await asyncio.wait_for(raw_post(a, INBOX, body, headers), timeout=15)
    took = time.monotonic() - started
    assert status == 503, answer  # the key could not be had in time: try again later
    assert took < 5.0, f"answered after {took:.1f}s"


# --- absurd headers and ambiguous bodies ---------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "path"), [
    ({f"X-Filler-{n}": "x" for n in range(120)}, INBOX),          # too many header fields
    ({"X-Big": "x" * 9000}, INBOX),                               # one header field too large
    ({f"X-Part-{n}": "x" * 4000 for n in range(5)}, INBOX),      # too large in total
    ({f"X-Filler-{n}": "x" for n in range(120)}, "/@alice"),      # on every route, not only the inbox
])
async def test_absurd_headers_are_refused_with_431(pair: tuple[Instance, Instance], extra: dict[str, str],
                                                    path: str) -> None:
    a, b = pair
    body = orjson.dumps(follow())
    headers = await signed_for(b, f"https://art.test{INBOX}", body)
    headers.update(extra)
    async with a.client() as client:
        response = await client.post(path, content=body, headers=headers) if path == INBOX else \
            await client.get(path, headers=extra)
    assert response.status_code == 431
    assert "too large" in response.json()["error"]
    assert await stored(a) == 0


@pytest.mark.parametrize("raw", [
    b'{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://social.test/activities/1", '
    b'"type": "Follow", "actor": "https://evil.test/users/mallory", "actor": "https://social.test/users/bob", '
    b'"object": "https://art.test/users/alice"}',
    b'{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://social.test/activities/1", '
    b'"type": "Follow", "actor": "https://social.test/users/bob", '
    b'"object": {"id": "https://art.test/users/alice", "type": "Person", "id": "https://art.test/users/bob"}}',
])
async def test_a_body_with_duplicate_keys_is_refused_with_400(pair: tuple[Instance, Instance], raw: bytes) -> None:
    a, b = pair
    status, answer = await raw_post(a, INBOX, raw, await signed_for(b, f"https://art.test{INBOX}", raw))
    assert status == 400 and "twice" in answer["error"]
    assert await stored(a) == 0


# --- a Delete whose key cannot be checked ----------------------------------------------------------------------

async def test_a_forged_delete_of_our_own_suspended_account_is_refused_though_its_actor_answers_410(
        network: Network) -> None:
    """A remote actor whose own server answers 410 may be deleted on an unverifiable signature; our own accounts
    never: alice is suspended here (her actor answers 410, she can be unsuspended), and a Delete in her name that
    nobody could sign must not erase her."""
    from fediverse.db import accounts as account_db
    from fediverse.models import Account
    from fediverse.services import account_actions

    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    mod = await make_user(a, "mod", role="moderator")
    await make_user(b, "bob")
    async with a.rt.sessions() as session:
        target = await session.get(Account, alice.account_id)
        await account_actions.apply(a.rt, session, await session.merge(mod), target, "suspend", "spam")
        await session.commit()
    async with a.client() as client:
        assert (await client.get("/users/alice", headers={"Accept": AP})).status_code == 410

    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{a.base}/activities/forged",
              "type": "Delete", "actor": alice.account.uri, "object": alice.account.uri}
    body = orjson.dumps(delete)
    headers = await signed_for(b, f"{a.base}/inbox", body, key=generate_private_key())  # bob's key id, a stranger's key
    status, answer = await raw_post(a, "/inbox", body, headers)
    assert status == 401, answer
    await network.drain()
    assert await stored(a) == 0
    async with a.rt.sessions() as session:
        kept = await account_db.by_uri(session, alice.account.uri)
    assert kept is not None and kept.suspended_at is not None  # still there, to be unsuspended on appeal


async def test_a_gone_actors_410_excuses_only_the_delete_of_the_actor_not_of_its_notes(network: Network) -> None:
    """bob's server suspends him (his actor answers 410) and deletes his notes itself; a Delete of one of his notes
    that nobody could sign stays refused here: the 410 speaks for the actor's own Delete, nothing else."""
    from sqlalchemy import select

    from fediverse.models import Account, RemoteNote
    from fediverse.services import account_actions

    a = await network.add("art.test", clock=StepClock(), spam={"quarantine_new_account_hours": 0})  # no hold
    b = await network.add("social.test")
    await make_user(a, "alice")
    bob = await make_user(b, "bob")
    mod = await make_user(b, "mod", role="moderator")
    note = f"{b.base}/users/bob/statuses/1"
    create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note}/activity", "type": "Create",
              "actor": bob.account.uri, "object": {
                  "id": note, "type": "Note", "attributedTo": bob.account.uri, "content": "<p>hi @alice</p>",
                  "to": [f"{a.base}/users/alice"], "tag": [{"type": "Mention", "href": f"{a.base}/users/alice"}]}}
    body = orjson.dumps(create)
    assert (await raw_post(a, INBOX, body, await signed_for(b, f"{a.base}{INBOX}", body)))[0] == 202
    await network.drain()

    async def stored_note() -> int | None:
        async with a.rt.sessions() as session:
            return await session.scalar(select(RemoteNote.id).where(RemoteNote.uri == note))

    assert await stored_note() is not None
    async with b.rt.sessions() as session:
        target = await session.get(Account, bob.account_id)
        await account_actions.apply(b.rt, session, await session.merge(mod), target, "suspend", "spam")
        await session.commit()  # art.test follows nobody there: no Delete is delivered to it

    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{b.base}/activities/forged",
              "type": "Delete", "actor": bob.account.uri, "object": note}
    body = orjson.dumps(delete)
    headers = await signed_for(b, f"{a.base}{INBOX}", body, key=generate_private_key())  # bob's key id, not his key
    status, answer = await raw_post(a, INBOX, body, headers)
    assert status == 401, answer
    await network.drain()
    assert await stored_note() is not None
