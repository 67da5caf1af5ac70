"""Hostile and broken inbox POSTs: each gets a clear 4xx, nothing is stored, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.activitypub.signatures.keys import generate_private_key
from fediverse.models import InboundActivity
from tests.federation.helpers import make_user
from tests.support import Instance, Network

AP = "application/activity+json"


@pytest.fixture
async def pair(network: Network) -> tuple[Instance, Instance]:
    a = await network.add("art.test", limits={"max_inbox_bytes": 8192, "max_json_depth": 20})
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")
    await make_user(b, "carol")
    return a, b


def follow(actor: str = "https://social.test/users/bob", activity_id: str = "https://social.test/activities/1") -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": activity_id, "type": "Follow",
            "actor": actor, "object": "https://art.test/users/alice"}


async def signed_post(sender: Instance, receiver: Instance, body: bytes, *, username: str = "bob",
                      path: str = "/users/alice/inbox", now: datetime | None = None, key: Any = None,
                      key_id: str | None = None, content_type: str = AP) -> tuple[int, dict[str, Any]]:
    from tests.federation.helpers import user

    signer = sender.rt.signer_for(await user(sender, username))
    url = f"{receiver.base}{path}"
    headers = {"Content-Type": content_type}
    headers.update(sign_cavage("POST", url, headers, body, key_id or signer.key_id, key or signer.private_key, now=now))
    return await raw_post(receiver, path, body, headers)


async def raw_post(receiver: Instance, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with receiver.client() as client:
        response = await client.post(path, content=body, headers=headers)
    return response.status_code, (response.json() if response.content else {})


async def stored(instance: Instance) -> int:
    async with instance.rt.sessions() as session:
        return await session.scalar(select(func.count()).select_from(InboundActivity)) or 0


async def test_a_correctly_signed_follow_is_accepted_and_stored(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    status, _ = await signed_post(b, a, orjson.dumps(follow()))
    assert status == 202
    assert await stored(a) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"{not json", AP, 400, "not valid"),
        (b"[1, 2]", AP, 400, "object"),
        (orjson.dumps({"type": "Follow"}), AP, 400, "context"),
        (orjson.dumps(follow()), "text/plain", 415, "content type"),
        (orjson.dumps(follow()), "", 415, "content type"),
    ],
)
async def test_malformed_or_mistyped_bodies_are_refused(pair: tuple[Instance, Instance], body: bytes, content_type: str,
                                                        status: int, message: str) -> None:
    a, b = pair
    got, answer = await signed_post(b, a, body, content_type=content_type)
    assert got == status
    assert message in answer["error"].lower()
    assert await stored(a) == 0


async def test_oversized_body_gets_413(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    doc = follow() | {"padding": "x" * 10_000}
    status, answer = await signed_post(b, a, orjson.dumps(doc))
    assert status == 413
    assert "8192" in answer["error"]
    assert await stored(a) == 0


async def test_oversized_body_without_content_length_gets_413(pair: tuple[Instance, Instance]) -> None:
    a, _b = pair

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 1000

    async with a.client() as client:
        response = await client.post("/inbox", content=chunks(), headers={"Content-Type": AP})
    assert response.status_code == 413


async def test_deeply_nested_json_is_refused(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    nested: Any = "leaf"
    for _ in range(100):
        nested = {"x": nested}
    status, answer = await signed_post(b, a, orjson.dumps(follow() | {"junk": nested}))
    assert status == 400
    assert "nesting" in answer["error"].lower()
    assert await stored(a) == 0


async def test_missing_signature_gets_401(pair: tuple[Instance, Instance]) -> None:
    a, _b = pair
    status, answer = await raw_post(a, "/inbox", orjson.dumps(follow()), {"Content-Type": AP})
    assert status == 401
    assert "signature" in answer["error"].lower()
    assert await stored(a) == 0


async def test_forged_signature_gets_401(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    status, answer = await signed_post(b, a, orjson.dumps(follow()), key=generate_private_key())
    assert status == 401
    assert "verif" in answer["error"].lower()
    assert await stored(a) == 0


@pytest.mark.parametrize("age", [timedelta(hours=2), timedelta(hours=-2)])
async def test_signature_outside_the_time_window_gets_401(pair: tuple[Instance, Instance], age: timedelta) -> None:
    a, b = pair
    status, answer = await signed_post(b, a, orjson.dumps(follow()), now=datetime.now(UTC) - age)
    assert status == 401
    assert "date" in answer["error"].lower() or "window" in answer["error"].lower()
    assert await stored(a) == 0


async def test_replayed_request_is_stored_once_and_a_changed_body_fails(pair: tuple[Instance, Instance]) -> None:
    from tests.federation.helpers import user

    a, b = pair
    body = orjson.dumps(follow())
    signer = b.rt.signer_for(await user(b, "bob"))
    url = f"{a.base}/users/alice/inbox"
    headers = {"Content-Type": AP}
    headers.update(sign_cavage("POST", url, headers, body, signer.key_id, signer.private_key))
    assert (await raw_post(a, "/users/alice/inbox", body, headers))[0] == 202
    assert (await raw_post(a, "/users/alice/inbox", body, headers))[0] == 202
    assert await stored(a) == 1
    tampered = orjson.dumps(follow(activity_id="https://social.test/activities/2"))
    status, answer = await raw_post(a, "/users/alice/inbox", tampered, headers)
    assert status == 401
    assert "digest" in answer["error"].lower()
    assert await stored(a) == 1


async def test_signer_who_is_not_the_actor_gets_401(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    doc = follow(actor="https://social.test/users/carol")
    status, answer = await signed_post(b, a, orjson.dumps(doc), username="bob")
    assert status == 401
    assert "actor" in answer["error"]
    assert await stored(a) == 0


async def test_activity_id_on_another_host_is_refused(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    doc = follow(activity_id="https://elsewhere.test/activities/1")
    status, _ = await signed_post(b, a, orjson.dumps(doc))
    assert status == 400
    assert await stored(a) == 0


async def test_unknown_activity_type_is_accepted_and_ignored(pair: tuple[Instance, Instance], network: Network) -> None:
    a, b = pair
    doc = follow() | {"type": "Dance", "id": "https://social.test/activities/dance"}
    status, _ = await signed_post(b, a, orjson.dumps(doc))
    assert status == 202
    await network.drain()
    async with a.rt.sessions() as session:
        row = await session.scalar(select(InboundActivity))
    assert row is not None and row.outcome is not None and row.outcome.startswith("ignored")


async def test_inbox_of_unknown_user_is_404(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    status, _ = await signed_post(b, a, orjson.dumps(follow()), path="/users/nobody/inbox")
    assert status == 404


@pytest.mark.parametrize("key_host", ["127.0.0.1", "169.254.169.254", "10.0.0.8", "[::1]", "localhost"])
async def test_key_at_a_private_address_is_refused(network: Network, key_host: str) -> None:
    strict = await network.add("strict.test", federation={"allow_private_addresses": False})
    await make_user(strict, "alice")
    b = await network.add("social.test")
    await make_user(b, "bob")
    actor = f"http://{key_host}/users/bob"
    doc = follow(actor=actor, activity_id=f"http://{key_host}/activities/1") | {"object": "https://strict.test/users/alice"}
    status, answer = await signed_post(b, strict, orjson.dumps(doc), key_id=f"{actor}#main-key")
    assert status == 401
    assert "non-public" in answer["error"] or "resolve" in answer["error"]
    assert await stored(strict) == 0


async def test_a_stored_activity_the_parser_now_refuses_is_given_up_not_retried(pair: tuple[Instance, Instance],
                                                                               network: Network) -> None:
    """A row an older version stored (its parser was laxer) and this one cannot read: the job ends, with the
    reason, instead of failing and coming back forever."""
    from fediverse.db import inbound as inbound_db
    from fediverse.jobs.queue import announce_after_commit
    from fediverse.models import DEAD, Job

    a, _b = pair
    async with a.rt.sessions() as session:
        job = await inbound_db.store(session, uri="https://social.test/activities/old", type="Follow",
                                     actor_uri="https://social.test/users/bob", inbox_account_id=None,
                                     raw={"type": "Follow", "id": "https://social.test/activities/old"})  # no actor
        assert job is not None
        announce_after_commit(session, [job])
        await session.commit()
    await network.drain()
    async with a.rt.sessions() as session:
        state, error = (await session.execute(select(Job.state, Job.last_error).where(Job.id == job[0]))).one()
        row = await session.scalar(select(InboundActivity))
    assert state == DEAD and error is not None and error.startswith("unparseable")
    assert row is not None and row.processed_at is None
