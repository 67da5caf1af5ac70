"""Inbox rate limits (fediverse/inbox/limits.py): by client address before verification, by the verified
signer's domain and actor after it; refusals say how long to wait and why, and follow the panel's limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from fediverse.config import Settings
from fediverse.inbox.limits import address_wait, signer_wait
from fediverse.models import Account
from fediverse.runtime import Runtime, create_runtime
from tests.support import StepClock


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = Settings().replace(instance={"domain": "here.test"},
                                  database={"url": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"})
    runtime = create_runtime(settings, clock=StepClock())
    try:
        yield runtime
    finally:
        await runtime.close()


def limit(rt: Runtime, **spam: Any) -> None:
    rt.settings = rt.settings.replace(spam=spam)


def actor(uri: str, domain: str | None) -> Account:
    return Account(uri=uri, handle=uri, username=uri.rsplit("/", 1)[-1], domain=domain, inbox_url=uri + "/inbox")


async def test_an_address_over_its_minute_budget_waits_until_the_next_minute(rt: Runtime) -> None:
    limit(rt, inbox_per_address_per_minute=3)
    assert [await address_wait(rt, "ip:192.0.2.1") for _ in range(3)] == [None, None, None]
    refused = await address_wait(rt, "ip:192.0.2.1")
    assert refused == (60, "too many activities from your address: at most 3 a minute")  # the clock stands at :00
    assert await address_wait(rt, "ip:192.0.2.2") is None  # another address has its own budget
    assert isinstance(rt.clock, StepClock)
    rt.clock.advance(60)
    assert await address_wait(rt, "ip:192.0.2.1") is None


async def test_actors_of_one_domain_share_its_budget(rt: Runtime) -> None:
    limit(rt, inbox_per_domain_per_minute=3, inbox_per_actor_per_minute=100)
    for name in "abc":
        assert await signer_wait(rt, actor(f"https://remote.test/users/{name}", "remote.test")) is None
    refused = await signer_wait(rt, actor("https://remote.test/users/d", "Remote.Test"))  # the same domain
    assert refused is not None and refused[1] == "too many activities from remote.test: at most 3 a minute"
    assert await signer_wait(rt, actor("https://other.test/users/a", "other.test")) is None


async def test_one_actor_cannot_use_up_its_domain_s_budget(rt: Runtime) -> None:
    limit(rt, inbox_per_domain_per_minute=100, inbox_per_actor_per_minute=2)
    loud = actor("https://remote.test/users/loud", "remote.test")
    assert [await signer_wait(rt, loud) for _ in range(2)] == [None, None]
    refused = await signer_wait(rt, loud)
    assert refused is not None and refused[1] == "too many activities from https://remote.test/users/loud: at most 2 a minute"
    assert 1 <= refused[0] <= 60
    assert await signer_wait(rt, actor("https://remote.test/users/quiet", "remote.test")) is None


async def test_a_local_signer_counts_against_this_instance_s_domain(rt: Runtime) -> None:
    limit(rt, inbox_per_domain_per_minute=1, inbox_per_actor_per_minute=100)
    assert await signer_wait(rt, actor("https://here.test/users/a", None)) is None
    refused = await signer_wait(rt, actor("https://here.test/users/b", None))
    assert refused is not None and refused[1] == "too many activities from here.test: at most 1 a minute"


async def test_a_lower_limit_from_the_panel_applies_at_the_next_post(rt: Runtime) -> None:
    sender = actor("https://remote.test/users/a", "remote.test")
    for _ in range(3):
        assert await address_wait(rt, "ip:192.0.2.1") is None
        assert await signer_wait(rt, sender) is None
    limit(rt, inbox_per_address_per_minute=3, inbox_per_actor_per_minute=3)
    assert await address_wait(rt, "ip:192.0.2.1") is not None
    assert await signer_wait(rt, sender) is not None
