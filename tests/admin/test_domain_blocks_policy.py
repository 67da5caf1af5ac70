"""The one domain policy: subdomain matching, names as stored, and what silence and reject_media hide."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse.db import domain_policy
from fediverse.db.domain_policy import Rule, match, normalize_host
from fediverse.errors import Invalid
from fediverse.models import RemoteNote
from fediverse.services import domain_blocks
from fediverse.services.blocklist_csv import BlockInput, clean_domain
from tests.federation.helpers import act, make_user
from tests.federation.test_works_federation import post_work
from tests.support import Network


def test_a_block_covers_subdomains_and_the_most_specific_block_wins() -> None:
    rules = {"example.com": Rule("example.com", "suspend", False, False),
             "ok.example.com": Rule("ok.example.com", "noop", True, False)}
    assert match(rules, "example.com").severity == "suspend"  # type: ignore[union-attr]
    assert match(rules, "a.b.example.com").severity == "suspend"  # type: ignore[union-attr]
    assert match(rules, "https://Media.OK.Example.com:8443/x").severity == "noop"  # type: ignore[union-attr]
    assert match(rules, "notexample.com") is None and match(rules, "example.com.evil.test") is None
    assert normalize_host("https://user@Host.Example.:443/path") == "host.example"


def test_domains_are_stored_lower_case_ascii_and_anything_else_is_refused() -> None:
    assert clean_domain(" Example.COM. ") == "example.com"
    assert clean_domain("bücher.example") == "xn--bcher-kva.example"
    for bad in ("", "localhost", "*.example.com", "https://example.com", "exa mple.com", "-x.example", "a..b"):
        with pytest.raises(Invalid):
            clean_domain(bad)


def test_obfuscation_hides_the_middle_of_the_name_as_mastodon_does() -> None:
    assert domain_blocks.obfuscated("example.com") == "ex*******om"
    assert domain_blocks.obfuscated("a.io") == "a**o"


async def test_silence_hides_replies_from_the_domain_and_holds_its_follows_for_approval(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("loud.test")
    await make_user(a, "alice")
    admin = await make_user(a, "boss", role="admin")
    await make_user(b, "shouter")
    work = await post_work(a, "alice", 1, title="Quiet work")
    await network.drain()
    async with a.rt.sessions() as session:
        from fediverse.db import accounts as account_db
        alice = await account_db.local_by_username(session, "alice")
        assert alice is not None
        await domain_blocks.create(session, admin, BlockInput("loud.test", "silence", reject_media=True))
        assert await domain_policy.media_rejected(session, "cdn.loud.test")
        assert await domain_policy.is_silenced(session, "loud.test")
        assert not await domain_policy.is_suspended(session, "loud.test")
    await act(b, "follow", "shouter", "alice@art.test")
    await network.drain()
    from tests.federation.helpers import edge_state
    assert await edge_state(a, f"{b.base}/users/shouter", f"{a.base}/users/alice") == "pending"

    # A reply from the silenced domain is stored (alice may see it) but stays off the public page.
    async with a.rt.sessions() as session:
        from fediverse.db import accounts as account_db
        shouter = await account_db.by_uri(session, f"{b.base}/users/shouter")
        assert shouter is not None
        session.add(RemoteNote(uri=f"{b.base}/notes/1", account_id=shouter.id, work_id=work.id,
                               content_html="<p>BUY NOW</p>", raw={}, visibility="public"))
        await session.commit()
    async with a.client() as client:
        page = await client.get(f"/@alice/{work.public_id}")
    assert page.status_code == 200 and "BUY NOW" not in page.text
    async with a.rt.sessions() as session:
        assert await session.scalar(select(RemoteNote.id)) is not None
