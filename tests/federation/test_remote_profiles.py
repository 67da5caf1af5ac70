"""Remote profiles (/@user@domain), following from them, the WebFinger subscribe template, /authorize_interaction
and a visitor's "Follow" on a portfolio, between two complete instances (and a hostile peer)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator
from urllib.parse import quote

import httpx
import orjson
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fediverse.db import accounts as account_db
from fediverse.db import statuses as status_db
from fediverse.models import DomainBlock, RemoteNote
from fediverse.services import remote_accounts
from fediverse.services.profile import ProfileImage, update_profile
from tests import imagecorpus as corpus
from tests.federation.helpers import edge_state, make_user
from tests.support import Instance, Network
from tests.web import parse, post_work, remote_account
from tests.web.panel_client import PASSWORD, browser, csrf_of, login

AP = "application/activity+json"


async def two(network: Network) -> tuple[Instance, Instance]:
    a = await network.add("a.test")
    b = await network.add("b.test")
    await make_user(a, "alice", password=PASSWORD, display_name="Alice")
    await make_user(b, "bob", password=PASSWORD, display_name="Bob Builder", summary="I build.")
    return a, b


async def hold_note(instance: Instance, handle: str, text: str, visibility: str) -> RemoteNote:
    """A post of a remote account as the inbox would have stored it (note + status)."""
    async with instance.rt.sessions() as session:
        account = await account_db.remote_by_handle(session, handle)
        assert account is not None
        note = RemoteNote(uri=f"{account.uri}/statuses/{visibility}", url=f"{account.url}/{visibility}",
                          account_id=account.id, content_html=f"<p>{text}</p>", raw={}, visibility=visibility)
        session.add(note)
        await session.flush()
        await status_db.add_for_note(session, note, [])
        await session.commit()
    return note


@asynccontextmanager
async def signed_in(instance: Instance, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(instance) as client:
        response = await login(client, username)
        assert response.status_code == 303, response.text[:300]
        yield client


async def test_signed_in_artist_looks_up_a_remote_account_and_sees_its_public_posts(network: Network) -> None:
    a, b = await two(network)
    await post_work(b, "bob", title="Bridge", description="A new bridge", seed=1)
    async with signed_in(a, "alice") as client:
        page = await client.get("/@bob@b.test")
    assert page.status_code == 200, page.text[:500]
    assert "Bob Builder" in page.text and "I build." in page.text and "@bob@b.test" in page.text
    # nothing held: the first page of bob's outbox was read, not stored
    assert "A new bridge" in page.text and "not stored here" in page.text
    assert page.headers["cache-control"] == "private, no-cache"
    assert "noindex" in page.headers["x-robots-tag"]
    async with a.rt.sessions() as session:
        assert await session.scalar(select(RemoteNote.id)) is None


async def test_held_posts_follow_visibility_and_visitors_cannot_make_us_look_anyone_up(network: Network) -> None:
    a, b = await two(network)
    async with a.client() as visitor:
        unknown = await visitor.get("/@bob@b.test")
    assert unknown.status_code == 404
    async with a.rt.sessions() as session:
        assert await account_db.remote_by_handle(session, "bob@b.test") is None  # no lookup happened
    async with signed_in(a, "alice") as client:
        assert (await client.get("/@bob@b.test")).status_code == 200  # looks bob up
    await hold_note(a, "bob@b.test", "public words", "public")
    await hold_note(a, "bob@b.test", "unlisted words", "unlisted")
    await hold_note(a, "bob@b.test", "followers words", "private")
    await hold_note(a, "bob@b.test", "direct words", "direct")
    async with a.client() as visitor:
        shown = await visitor.get("/@bob@b.test")
    assert shown.status_code == 200
    assert "public words" in shown.text
    for hidden in ("unlisted words", "followers words", "direct words"):
        assert hidden not in shown.text
    assert 'action="/studio/follow"' not in shown.text
    async with signed_in(a, "alice") as client:
        mine = await client.get("/@bob@b.test")
    assert "public words" in mine.text and "unlisted words" in mine.text
    assert "followers words" not in mine.text and "direct words" not in mine.text
    async with a.client() as visitor:
        assert (await visitor.get("/@nobody@b.test")).status_code == 404
        local = await visitor.get("/@alice@a.test")
        assert local.status_code == 301 and local.headers["location"] == "https://a.test/@alice"


async def test_follow_and_unfollow_from_the_profile_send_the_activities(network: Network) -> None:
    a, b = await two(network)
    async with signed_in(a, "alice") as client:
        page = await client.get("/@bob@b.test")
        bob_uri = "https://b.test/users/bob"
        followed = await client.post("/studio/follow", data={"csrf_token": csrf_of(page.text), "account": bob_uri,
                                                             "next": "/@bob@b.test"})
        assert followed.status_code == 303 and followed.headers["location"] == "/@bob@b.test"
        await network.drain()
        alice_uri = "https://a.test/users/alice"
        assert await edge_state(b, alice_uri, bob_uri) == "accepted"
        assert await edge_state(a, alice_uri, bob_uri) == "accepted"
        page = await client.get("/@bob@b.test")
        assert 'action="/studio/unfollow"' in page.text and "Unfollow" in page.text
        forged = await client.post("/studio/unfollow", data={"csrf_token": "nope", "account": bob_uri})
        assert forged.status_code == 403
        done = await client.post("/studio/unfollow", data={"csrf_token": csrf_of(page.text), "account": bob_uri,
                                                           "next": "/@bob@b.test"})
        assert done.status_code == 303
        await network.drain()
    assert await edge_state(b, alice_uri, bob_uri) is None
    async with a.client() as visitor:  # signed out: no follow possible
        refused = await visitor.post("/studio/follow", data={"account": bob_uri})
    assert refused.status_code == 403


async def test_webfinger_advertises_the_subscribe_template(network: Network) -> None:
    a = await network.add("a.test")
    await make_user(a, "alice")
    async with a.client() as client:
        jrd = (await client.get("/.well-known/webfinger", params={"resource": "acct:alice@a.test"})).json()
        instance = (await client.get("/.well-known/webfinger", params={"resource": "https://a.test"})).json()
    assert {"rel": "http://ostatus.org/schema/1.0/subscribe",
            "template": "https://a.test/authorize_interaction?uri={uri}"} in jrd["links"]
    assert all(link["rel"] != "http://ostatus.org/schema/1.0/subscribe" for link in instance["links"])


async def test_visitor_follows_an_artist_from_their_own_server(network: Network) -> None:
    """bob (b.test) on alice's portfolio at a.test: Follow -> his handle -> b.test's /authorize_interaction ->
    signed in there, Follow -> a.test gets the Follow."""
    a, b = await two(network)
    async with a.client() as visitor:
        portfolio = await visitor.get("/@alice")
        assert 'href="https://a.test/@alice/follow"' in portfolio.text
        form = await visitor.get("/@alice/follow")
        assert form.status_code == 200 and 'name="handle"' in form.text
        # Browsers check the 303 to b.test against the form page's form-action (Chromium blocked it under
        # 'self': tests/browser/test_social_browser.py); other pages keep forms to this server only.
        assert "form-action 'self' https:" in form.headers["content-security-policy"]
        assert "form-action 'self';" in portfolio.headers["content-security-policy"]
        sent = await visitor.post("/@alice/follow", data={"handle": "bob@b.test"})
        assert sent.status_code == 303
        target = sent.headers["location"]
        assert target == "https://b.test/authorize_interaction?uri=" + quote("https://a.test/users/alice", safe="")
        cookie = sent.headers["set-cookie"]
        assert "remote_server=b.test" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        again = await visitor.get("/@alice/follow", headers={"Cookie": "remote_server=b.test"})
        assert 'value="@b.test"' in again.text
    path = target.removeprefix("https://b.test")
    client = browser(b)
    async with client:
        out = await client.get(path)
        assert out.status_code == 303 and out.headers["location"].startswith("/login?next=")
        next_path = httpx.URL(out.headers["location"]).params["next"]
        assert next_path == path
        login_page = await client.get(out.headers["location"])
        signed = await client.post("/login", data={"csrf_token": csrf_of(login_page.text), "username": "bob",
                                                   "password": PASSWORD, "next": next_path})
        assert signed.status_code == 303 and signed.headers["location"] == next_path  # back where he was going
        page = await client.get(next_path)
        assert page.status_code == 200, page.text[:400]
        assert "Follow @alice@a.test" in page.text
        done = await client.post("/studio/follow", data={"csrf_token": csrf_of(page.text),
                                                         "account": "https://a.test/users/alice", "next": next_path})
        assert done.status_code == 303
        await network.drain()
    assert await edge_state(a, "https://b.test/users/bob", "https://a.test/users/alice") == "accepted"


async def test_authorize_interaction_shows_a_post_and_refuses_nonsense(network: Network) -> None:
    a, b = await two(network)
    work = await post_work(a, "alice", title="Heron", description="A heron at dawn", seed=2)
    async with signed_in(b, "bob") as client:
        post = await client.get("/authorize_interaction", params={"uri": work.uri})
        handle = await client.get("/authorize_interaction", params={"uri": "acct:alice@a.test"})
        bad = [await client.get("/authorize_interaction", params={"uri": value})
               for value in ("", "not a thing", "x" * 5000, "@@@", "https://nowhere.test/x")]
    assert post.status_code == 200 and "A heron at dawn" in post.text and "Follow @alice@a.test" in post.text
    assert handle.status_code == 200 and "Follow @alice@a.test" in handle.text
    assert [r.status_code for r in bad][:4] == [400, 400, 400, 400]
    assert bad[4].status_code == 502
    assert all("Traceback" not in r.text for r in bad)


async def test_visitor_follow_bad_handles_and_servers_without_a_template(network: Network) -> None:
    a = await network.add("a.test")
    await make_user(a, "alice")

    async def webfinger(request: Request) -> Response:
        return JSONResponse({"subject": "acct:x@plain.test", "links": [
            {"rel": "self", "type": AP, "href": "https://plain.test/users/x"},
            {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "javascript:alert(1)//{uri}"}]})

    network.apps["plain.test"] = httpx.ASGITransport(app=Starlette(routes=[Route("/.well-known/webfinger", webfinger)]))
    async with a.client() as visitor:
        answers = {value: await visitor.post("/@alice/follow", data={"handle": value}) for value in (
            "", "bob", "bob@", "@bob@bad host", "a@b@c", "x" * 400 + "@b.test", "x@plain.test", "x@nowhere.test",
            "x@127.0.0.1")}
    unreachable = {"x@nowhere.test", "x@127.0.0.1"}  # well-formed handles whose server does not answer: 502
    for value, response in answers.items():
        assert response.status_code == (502 if value in unreachable else 400), (value, response.status_code)
        assert "set-cookie" not in response.headers
        assert 'name="handle"' in response.text  # the form again, with the message
    assert "subscribe template" in answers["x@plain.test"].text
    async with a.client() as visitor:
        assert (await visitor.get("/@nobody/follow")).status_code == 404


def hostile_peer(delay: float = 0.0, huge: bool = False, many: bool = False) -> Starlette:
    async def outbox(request: Request) -> Response:
        if delay:
            await asyncio.sleep(delay)
        if huge:
            return Response(b'{"type": "OrderedCollection", "x": "' + b"A" * (20 * 1024 * 1024) + b'"}', media_type=AP)
        items: list[Any] = [{
            "type": "Create", "id": f"https://evil.test/c/{n}", "actor": "https://evil.test/users/eve",
            "object": {"type": "Note", "id": f"https://evil.test/n/{n}", "attributedTo": "https://evil.test/users/eve",
                       "content": f"item {n}", "to": ["https://www.w3.org/ns/activitystreams#Public"]}}
            for n in range(2000 if many else 1)]
        return Response(orjson.dumps({"type": "OrderedCollection", "totalItems": len(items),
                                                    "orderedItems": items}), media_type=AP)

    return Starlette(routes=[Route("/users/eve/outbox", outbox)])


@pytest.mark.parametrize("kind", ["slow", "huge", "many"])
async def test_hostile_outbox_is_bounded_with_a_clear_message(network: Network, kind: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_accounts, "OUTBOX_SECONDS", 0.5)
    a = await network.add("a.test")
    await make_user(a, "alice", password=PASSWORD)
    await remote_account(a, "eve", domain="evil.test", outbox_url="https://evil.test/users/eve/outbox")
    network.apps["evil.test"] = httpx.ASGITransport(app=hostile_peer(
        delay=30.0 if kind == "slow" else 0.0, huge=kind == "huge", many=kind == "many"))
    async with signed_in(a, "alice") as client:
        started = asyncio.get_running_loop().time()
        page = await client.get("/@eve@evil.test")
        took = asyncio.get_running_loop().time() - started
    assert page.status_code == 200
    assert took < 5
    if kind == "many":
        assert page.text.count("<article") == remote_accounts.OUTBOX_ITEMS
    else:
        assert "could not be loaded from evil.test" in page.text


async def test_avatar_is_shown_from_our_remote_media_cache_never_hotlinked(network: Network) -> None:
    a, b = await two(network)
    async with b.rt.sessions() as session:
        user = await account_db.local_user(session, "bob")
        assert user is not None
        await update_profile(b.rt, session, user, avatar=ProfileImage(corpus.jpeg(corpus.photo(300, 300, seed=1))))
        await session.commit()
    async with signed_in(a, "alice") as client:
        first = await client.get("/@bob@b.test")
        assert first.status_code == 200
        assert "https://b.test/media/" not in first.text  # not fetched by the browser from bob's server
        await network.drain()  # the avatar is fetched into the cache, re-stamped
        second = await client.get("/@bob@b.test")
    avatars = [img.attrs["src"] for img in parse(second.text).all("img")]
    assert any(src.startswith("https://a.test/media/remote/") for src in avatars), avatars


async def test_blocked_and_silenced_servers_stay_off_public_profiles(network: Network) -> None:
    a = await network.add("a.test")
    await make_user(a, "alice", password=PASSWORD)
    await remote_account(a, "quiet", domain="limited.test")
    await remote_account(a, "gone", domain="blocked.test")
    async with a.rt.sessions() as session:
        session.add(DomainBlock(domain="limited.test", severity="silence"))
        session.add(DomainBlock(domain="blocked.test", severity="suspend"))
        await session.commit()
    async with a.client() as visitor:
        assert (await visitor.get("/@quiet@limited.test")).status_code == 404
        assert (await visitor.get("/@gone@blocked.test")).status_code == 404
    async with signed_in(a, "alice") as client:
        assert (await client.get("/@gone@blocked.test")).status_code == 404
        assert (await client.get("/@quiet@limited.test")).status_code == 200  # signed in: shown, like Mastodon


EVE = "https://evil.test/users/eve"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def forging_outbox(shape: str) -> Starlette:
    """An outbox whose page mixes one genuine public post (with hostile markup) with forgeries: a note by someone
    else, a Create by someone else, a note hosted elsewhere, a followers-only note, and junk items; or an outbox
    whose shape is hostile itself (a first page on another server, a JSON array, HTML, a first page that is
    not a link)."""
    def create(n: int, *, actor: str = EVE, note_id: str | None = None, author: str = EVE,
               to: list[str] | None = None, content: str = "") -> dict[str, Any]:
        return {"type": "Create", "id": f"https://evil.test/c/{n}", "actor": actor,
                "object": {"type": "Note", "id": note_id or f"https://evil.test/n/{n}", "attributedTo": author,
                           "content": content or f"<p>forged {n}</p>", "to": to or [PUBLIC]}}

    items: list[Any] = [
        create(1, content='<p>genuine <script>alert(1)</script><a href="javascript:alert(2)">x</a> '
                          '<img src="https://evil.test/track.gif" onerror="alert(3)"></p>'),
        create(2, author="https://b.test/users/bob"), create(3, actor="https://b.test/users/bob"),
        create(4, note_id="https://b.test/n/4"), create(5, to=[f"{EVE}/followers"]),
        {"type": "Announce", "id": "https://evil.test/a/6", "actor": EVE, "object": "https://b.test/n/1"},
        create(7, content="x" * 200_000), "https://evil.test/n/8", 42, None, [], {"type": "Create"},
    ]

    async def outbox(request: Request) -> Response:
        if shape == "array":
            return Response(b"[1, 2, 3]", media_type=AP)
        if shape == "html":
            return Response(b"<html>hello</html>", media_type="text/html")
        if shape == "elsewhere":
            return Response(orjson.dumps({"type": "OrderedCollection", "first": "https://b.test/users/bob/outbox"}),
                            media_type=AP)
        if shape == "no-first":
            return Response(orjson.dumps({"type": "OrderedCollection", "first": 5, "orderedItems": "x"}),
                            media_type=AP)
        return Response(orjson.dumps({"type": "OrderedCollection", "totalItems": -3, "orderedItems": items}),
                        media_type=AP)

    return Starlette(routes=[Route("/users/eve/outbox", outbox)])


@pytest.mark.parametrize("shape", ["forged-items", "array", "html", "elsewhere", "no-first"])
async def test_hostile_outbox_shows_only_the_accounts_own_public_posts_sanitised_or_a_clear_message(
        network: Network, shape: str) -> None:
    a, b = await two(network)
    await remote_account(a, "eve", domain="evil.test", outbox_url=f"{EVE}/outbox")
    network.apps["evil.test"] = httpx.ASGITransport(app=forging_outbox(shape))
    async with signed_in(a, "alice") as client:
        page = await client.get("/@eve@evil.test")
    assert page.status_code == 200
    assert "forged" not in page.text and "Bob Builder" not in page.text
    if shape == "forged-items":
        assert page.text.count("<article") == 1 and "genuine" in page.text
        assert "alert(" not in page.text and "javascript:" not in page.text and "track.gif" not in page.text
    else:
        assert page.text.count("<article") == 0 and "could not be loaded from evil.test" in page.text
    async with a.rt.sessions() as session:  # what an outbox shows is never stored
        assert list(await session.scalars(select(RemoteNote))) == []
