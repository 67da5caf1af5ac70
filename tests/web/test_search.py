"""`/search?q=`: works by title, description and alt text through the database's full-text engine (FTS5 or
tsvector), tags by prefix, local accounts by name, remote accounts resolved for signed-in users only; hostile
and huge queries get clear answers; artists who opted out of search are not found."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from fediverse.errors import Invalid
from fediverse.models import Account, utcnow
from fediverse.services import search as search_service
from fediverse.services.search import MAX_QUERY
from fediverse.services.works import WorkInput
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import as_user, post_work
from tests.web.panel_client import PASSWORD, browser, login


async def gallery(network: Network) -> Instance:
    art = await network.add("art.test")
    await make_user(art, "alice", display_name="Alice Aquarelle", password=PASSWORD)
    await make_user(art, "oona", password=PASSWORD)
    await post_work(art, "alice", title="Heron over marshland", description="Ink wash #birds", seed=1)
    await post_work(art, "alice", title="Untitled", description="A study of cobalt shadows", seed=2)
    await post_work(art, "alice", title="Night", alts=("A lighthouse beam cutting through fog",), seed=3)
    await post_work(art, "alice", title="Hidden heron", description="unlisted", visibility="unlisted", seed=4)
    await post_work(art, "alice", title="Followers heron", visibility="followers", seed=5)
    await post_work(art, "oona", title="Heron in private garden", description="oona's heron", seed=6)
    async with art.rt.sessions() as session:  # oona opted out of search indexing (consent record: search = no)
        await session.execute(update(Account).where(Account.username == "oona").values(consent={"search": False}))
        await session.commit()
    return art


async def search(instance: Instance, q: str, client=None) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    if client is not None:
        response = await client.get("/search", params={"q": q})
    else:
        async with instance.client() as own:
            response = await own.get("/search", params={"q": q})
    return response.status_code, response.text


async def test_works_are_found_by_title_description_and_alt_text(network: Network) -> None:
    art = await gallery(network)
    for query, expected in (("heron", "Heron over marshland"), ("COBALT shadows", "Untitled"),
                            ("lighthouse fog", "Night"), ("marshland heron", "Heron over marshland")):
        status, html = await search(art, query)
        assert status == 200
        assert expected in html, query
    status, html = await search(art, "heron")
    for hidden in ("Hidden heron", "Followers heron", "Heron in private garden"):
        assert hidden not in html  # unlisted, followers-only, and the artist who opted out of search


async def test_opted_out_artist_works_are_not_found_but_the_account_is(network: Network) -> None:
    art = await gallery(network)
    status, html = await search(art, "garden")
    assert status == 200
    assert "Heron in private garden" not in html and "No works found" in html


async def test_a_work_override_can_opt_a_single_work_back_out(network: Network) -> None:
    art = await gallery(network)
    await post_work(art, "alice", title="Kestrel sketch", seed=7, consent={"search": False})
    status, html = await search(art, "kestrel")
    assert status == 200 and "Kestrel sketch" not in html


FTS_SYNTAX = [
    '"heron', 'heron*', 'NEAR(heron marshland)', 'heron -marshland', 'title:heron', '^heron', '(heron)',
    'heron OR cobalt', 'heron AND', 'NOT heron', '"""', '*', '-', ':', '^', '()', "' OR 1=1 --", '\\', '%', '_',
    'heron" OR "x', '{title}: heron', 'heron NEAR/2 marshland', '+heron', 'heron & cobalt | !x <-> y',
]


async def test_fts_syntax_is_plain_text(network: Network) -> None:
    art = await gallery(network)
    for query in FTS_SYNTAX:
        status, html = await search(art, query)
        assert status == 200, (query, html[:300])
    status, html = await search(art, "heron OR cobalt")
    assert "Untitled" not in html and "Heron over marshland" not in html  # OR is a word: no work has all three
    status, html = await search(art, '"heron*"')
    assert "Heron over marshland" in html  # quotes and stars are punctuation around the word


async def test_huge_query_is_refused_with_a_message(network: Network) -> None:
    art = await gallery(network)
    status, html = await search(art, "heron " * 10_000)  # 60 KB: as long as a URL component gets
    assert status == 400
    assert f"limited to {MAX_QUERY} characters" in html
    assert '<form method="get" action="/search"' in html
    with pytest.raises(Invalid, match="limited to"):
        async with art.rt.sessions() as session:
            await search_service.search(art.rt, session, "heron " * 17_000, None)  # 100 KB, past any URL


async def test_words_past_the_term_limit_are_ignored_not_an_error(network: Network) -> None:
    art = await gallery(network)
    status, html = await search(art, "heron " + " ".join(f"w{n}" for n in range(40)))
    assert status == 200  # at most MAX_TERMS terms reach the engine


async def test_empty_query_shows_the_form(network: Network) -> None:
    art = await gallery(network)
    for q in ("", "   "):
        status, html = await search(art, q)
        assert status == 200
        assert '<label for="q">' in html and "No works found" not in html


async def test_tags_by_prefix_and_local_accounts_by_name(network: Network) -> None:
    art = await gallery(network)
    status, html = await search(art, "bir")
    assert status == 200 and 'href="https://art.test/tags/birds"' in html
    status, html = await search(art, "aquarelle")
    assert 'href="https://art.test/@alice"' in html


async def test_remote_account_is_resolved_for_signed_in_users_only(network: Network) -> None:
    art = await gallery(network)
    other = await network.add("other.test")
    await make_user(other, "bruno", display_name="Bruno Brush")
    status, html = await search(art, "bruno@other.test")  # signed out: no lookup at all
    assert status == 200 and "Bruno Brush" not in html and "Sign in" in html
    async with art.rt.sessions() as session:
        from fediverse.db import accounts as account_db
        assert await account_db.remote_by_handle(session, "bruno@other.test") is None
    async with browser(art) as client:
        assert (await login(client, "alice")).status_code == 303
        status, html = await search(art, "@bruno@other.test", client)
        assert status == 200 and "Bruno Brush" in html and "https://other.test/@bruno" in html
        assert 'href="/@bruno@other.test"' in html  # our profile page of them, with its Follow button
        status, html = await search(art, "https://other.test/users/bruno", client)  # a profile URL too
        assert status == 200 and "Bruno Brush" in html
        status, html = await search(art, "nobody@other.test", client)
        assert status == 200 and "Could not find" in html


async def test_suspended_accounts_and_their_works_are_not_found(network: Network) -> None:
    art = await gallery(network)
    async with art.rt.sessions() as session:
        await session.execute(update(Account).where(Account.username == "alice").values(suspended_at=utcnow()))
        await session.commit()
    status, html = await search(art, "alice")
    assert status == 200 and "Alice Aquarelle" not in html
    status, html = await search(art, "heron")
    assert "Heron over marshland" not in html


async def test_deleted_and_edited_works_follow_the_index(network: Network) -> None:
    art = await gallery(network)
    kept = await post_work(art, "alice", title="Osprey", seed=8)
    await as_user(art, "alice", "edit_work", kept.public_id, WorkInput(title="Kingfisher"))
    status, html = await search(art, "osprey")
    assert "No works found" in html
    status, html = await search(art, "kingfisher")
    assert "Kingfisher" in html
    await as_user(art, "alice", "delete_work", kept.public_id)
    status, html = await search(art, "kingfisher")
    assert "No works found" in html
