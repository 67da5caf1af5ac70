"""Text notes written here (services/notes.py) on the home timeline, and the buttons on them.

art.test: alice and carol; dave is a local artist alice follows (carol follows alice, not dave). dave posts a
public and a followers-only note; alice answers one. Her home shows all three; carol's home neither of dave's,
and the followers-only one is on no public page. alice likes, boosts and bookmarks dave's note: he is told,
her followers get the boost, and a deleted note leaves her home.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx

import orjson
import pytest
from sqlalchemy import event, select

from fediverse.db import accounts as account_db
from fediverse.models import Account, Favourite, LocalNote, Notification, OutboundActivity, Status
from fediverse.services import notes, timelines
from tests.federation.helpers import act, user
from tests.federation.test_followed_posts import World, accept_follow
from tests.federation.test_home_timeline import make_world, page_of, posted
from tests.federation.test_works_federation import post_work
from tests.support import Network
from tests.web.panel_client import browser, csrf_of, login

PUBLIC_TEXT = "dave-public-text-note"
PRIVATE_TEXT = "dave-followers-only-text-note"
REPLY_TEXT = "alice-own-text-reply"


@pytest.fixture
async def world(network: Network) -> World:
    w = await make_world(network)
    await act(w.art, "follow", "alice", "dave@art.test")
    await act(w.art, "follow", "carol", "alice@art.test")
    await network.drain()
    return w


async def post(w: World, username: str, text: str, **options: Any) -> int:
    """Post a note as `username` through the use case; its status id."""
    async with w.art.rt.sessions() as session:
        me = await account_db.local_user(session, username)
        assert me is not None
        note = await notes.post_note(w.art.rt, session, me, text, **options)
        return int(note.public_id)


async def delete(w: World, username: str, status_id: int) -> None:
    async with w.art.rt.sessions() as session:
        me = await account_db.local_user(session, username)
        assert me is not None
        await notes.delete_note(w.art.rt, session, me, str(status_id))


@asynccontextmanager
async def signed_in(w: World, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """One browser session (logging in for every click would meet the login rate limit)."""
    async with browser(w.art) as client:
        assert (await login(client, username)).status_code == 303
        yield client


async def press(client: httpx.AsyncClient, status_id: int, action: str, page: str = "/home") -> httpx.Response:
    """Press a button on a post of `page`, as the browser would (the form's CSRF token and back link)."""
    csrf = csrf_of((await client.get(page)).text)
    return await client.post(f"/home/statuses/{status_id}/{action}",
                             data={"csrf_token": csrf, "back": page, "anchor": f"s-{status_id}"})


async def html(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text[:300]
    return response.text


async def sent(w: World, kind: str) -> list[dict[str, Any]]:
    async with w.art.rt.sessions() as session:
        rows = await session.scalars(select(OutboundActivity).order_by(OutboundActivity.id))
        return [doc for row in rows if (doc := orjson.loads(row.body)).get("type") == kind]


async def test_own_replies_and_followed_local_notes_are_on_home_only(world: World) -> None:
    w = world
    public = await post(w, "dave", PUBLIC_TEXT)
    private = await post(w, "dave", PRIVATE_TEXT, visibility="followers", cw="spoilers ahead")
    reply = await post(w, "alice", f"@dave@art.test {REPLY_TEXT}", in_reply_to=public)

    home = await page_of(w, "alice", "/home")
    assert PUBLIC_TEXT in home and PRIVATE_TEXT in home and REPLY_TEXT in home
    assert home.index(REPLY_TEXT) < home.index(PRIVATE_TEXT) < home.index(PUBLIC_TEXT)  # newest first
    for status_id in (public, private, reply):
        assert f'href="/statuses/{status_id}#reply"' in home
        assert f'action="/home/statuses/{status_id}/like"' in home
        assert f'action="/home/statuses/{status_id}/bookmark"' in home
    assert f'action="/home/statuses/{public}/boost"' in home
    assert f'action="/home/statuses/{private}/boost"' not in home  # followers-only: no boost button
    assert "<details><summary>spoilers ahead</summary>" in home  # its content warning, collapsed
    assert "followers only" in home
    async with w.art.rt.sessions() as session:
        alice = await session.get(Account, (await user(w.art, "alice")).account_id)
        page = await timelines.home(session, alice)
    kinds = {item.status_id: (item.kind, item.author.username, item.images) for item in page.items}
    assert kinds == {public: ("local_note", "dave", ()), private: ("local_note", "dave", ()),
                     reply: ("local_note", "alice", ())}

    theirs = await page_of(w, "carol", "/home")  # she follows alice: the reply, not dave's notes
    assert REPLY_TEXT in theirs and PUBLIC_TEXT not in theirs and PRIVATE_TEXT not in theirs
    async with browser(w.art) as visitor:
        for path in ("/", "/@dave", "/@alice", f"/statuses/{public}", f"/statuses/{reply}"):
            response = await visitor.get(path)
            assert PRIVATE_TEXT not in response.text, path
        assert (await visitor.get(f"/statuses/{private}")).status_code == 404
    async with signed_in(w, "carol") as carol:
        assert (await press(carol, private, "like")).status_code == 404  # hidden from her: 404
        assert (await press(carol, private, "bookmark")).status_code == 404


async def test_like_boost_and_bookmark_a_local_note_and_its_author_is_told(world: World) -> None:
    w = world
    public = await post(w, "dave", PUBLIC_TEXT)
    private = await post(w, "dave", PRIVATE_TEXT, visibility="followers")

    async with signed_in(w, "alice") as alice, signed_in(w, "carol") as carol, signed_in(w, "dave") as dave:
        liked = await press(alice, public, "like")
        assert liked.status_code == 303 and liked.headers["location"] == f"/home#s-{public}"
        assert (await press(alice, public, "like")).status_code == 400  # once
        assert (await press(alice, private, "like")).status_code == 303  # followers-only: likeable
        assert f'action="/home/statuses/{public}/unlike"' in await html(alice, "/home")
        assert (await press(alice, public, "boost")).status_code == 303
        refused = await press(alice, private, "boost")
        assert refused.status_code == 400 and "Only public posts can be boosted." in refused.text
        assert (await press(alice, public, "bookmark")).status_code == 303

        home = await html(alice, "/home")
        assert f'action="/home/statuses/{public}/unboost"' in home
        assert f'action="/home/statuses/{public}/unbookmark"' in home
        async with w.art.rt.sessions() as session:
            me = await session.get(Account, (await user(w.art, "alice")).account_id)
            [item] = [i for i in (await timelines.home(session, me)).items if i.entry_id == public]
        assert item.counts == timelines.Counts(likes=1, boosts=1) and item.liked and item.boosted and item.bookmarked
        assert PUBLIC_TEXT in await html(alice, "/bookmarks")

        [announce] = await sent(w, "Announce")  # to alice's followers, about dave's note
        assert announce["actor"].endswith("/users/alice") and announce["object"].endswith(f"/{public}")
        carol_home = await html(carol, "/home")  # carol follows alice: the boost reaches her home
        assert PUBLIC_TEXT in carol_home and "boosted" in carol_home and PRIVATE_TEXT not in carol_home

        told = await html(dave, "/studio/notifications")
        assert "liked your post" in told and "boosted your post" in told and PUBLIC_TEXT in told
        async with w.art.rt.sessions() as session:
            dave_id = (await user(w.art, "dave")).account_id
            kinds = sorted(n.kind for n in await session.scalars(select(Notification).where(
                Notification.account_id == dave_id, Notification.local_note_id.is_not(None))))
        assert kinds == ["announce", "like", "like"]

        assert (await press(alice, public, "unlike")).status_code == 303
        assert (await press(alice, public, "unboost")).status_code == 303
        [undo] = await sent(w, "Undo")
        assert undo["object"]["id"] == announce["id"]
        assert PUBLIC_TEXT not in await html(carol, "/home")
    async with w.art.rt.sessions() as session:
        assert [f.status_id for f in await session.scalars(select(Favourite))] == [private]
        kinds = sorted(n.kind for n in await session.scalars(select(Notification).where(
            Notification.account_id == dave_id, Notification.local_note_id.is_not(None))))
    assert kinds == ["like"]  # the taken-back like and boost are no longer news


async def test_a_deleted_note_leaves_home_and_its_buttons_answer_404(world: World) -> None:
    w = world
    public = await post(w, "dave", PUBLIC_TEXT)
    async with signed_in(w, "alice") as alice, signed_in(w, "carol") as carol:
        assert (await press(alice, public, "boost")).status_code == 303
        assert (await press(alice, public, "bookmark")).status_code == 303
        assert PUBLIC_TEXT in await html(carol, "/home")
        await delete(w, "dave", public)
        for client in (alice, carol):
            assert PUBLIC_TEXT not in await html(client, "/home")
        assert PUBLIC_TEXT not in await html(alice, "/bookmarks")
        assert (await press(alice, public, "like")).status_code == 404
    async with w.art.rt.sessions() as session:
        note = await session.scalar(select(LocalNote).where(LocalNote.public_id == str(public)))
        assert note is not None and note.deleted_at is not None
        alice = await session.get(Account, (await user(w.art, "alice")).account_id)
        # a page built from ids read before the delete: the tombstoned note is not shown
        session.add(Status(id=public + 1, account_id=note.account_id, local_note_id=note.id, visibility="public",
                           created_at=note.published_at))
        await session.flush()
        assert await timelines.items_for(session, alice, [public + 1]) == []
        await session.rollback()


async def test_a_home_page_with_local_notes_costs_the_same_whatever_its_length(world: World) -> None:
    w = world
    await accept_follow(w, "alice")
    await act(w.art, "follow", "alice", "erin@social.test")
    await w.network.drain()
    await posted(w)
    await post_work(w.art, "alice", 2, title="Alice own study")
    for n in range(6):
        await post(w, "dave" if n % 2 else "alice", f"local text {n}")
    await w.network.drain()  # no delivery job runs while the queries are counted
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = w.art.rt.engine.sync_engine
    sizes = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for limit in (12, 16):  # both reach past the local notes to the works, remote notes and a boost
            async with w.art.rt.sessions() as session:
                alice = await session.get(Account, (await user(w.art, "alice")).account_id)
                statements.clear()
                page = await timelines.home(session, alice, limit=limit)
                [item.images for item in page.items]
                kinds = {item.kind for item in page.items}
            sizes.append((len(page.items), len(statements)))
            assert kinds == {"work", "note", "local_note"} and any(item.booster for item in page.items)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    (few, few_queries), (many, many_queries) = sizes
    assert few == 12 and many > few
    assert many_queries == few_queries, "\n".join(s[:150].replace("\n", " ") for s in statements)
