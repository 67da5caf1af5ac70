"""The social core against Fedify, a third-party ActivityPub framework (issue 12), over real HTTP.

One server of ours (`fediverse serve` behind the loopback TLS terminator, as in test_fedify.py) and one Fedify
peer (tests/interop/fedify/peer.mjs, actor `bob`) serve the whole file: the steps build on each other the way a
person would use them, each behind a module fixture, so any one test also runs alone.

- alice signs in through the real login form, searches `bob@<peer>`, opens his profile here and presses Follow;
- bob posts a public note, a followers-only note and a direct note to carol (who does not follow him), all
  tagged #InteropTag: each is stored with its audience and shown only to whom services/visibility allows;
- a local work and bob's post share one tag page;
- bob edits, then deletes, the public note; bob boosts his own post and one of alice's works, then undoes a
  boost.

Local artists: alice (follows bob), carol (addressed by the direct note only), dave (a stranger), erin (comes
back from bob's server through our WebFinger subscribe template and follows him there).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar
from urllib.parse import quote

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from fediverse.models import ACCEPTED, Account, Follow, RemoteNote, Status, Work
from fediverse.services.visibility import visible_to
from tests.backing import clean_env, fediverse
from tests.interop.fedify_peer import FedifyPeer, fedify_version
from tests.interop.support import Certs, OurServer, make_certs, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.requires("fedify"),
]

PASSWORD = "correct horse battery"
ARTISTS = ("alice", "carol", "dave", "erin")
TAG = "InteropTag"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
T = TypeVar("T")

PUBLIC_TEXT = "Public heron sketch, open to all"
FOLLOWERS_TEXT = "Followers-only studio secret"
DIRECT_TEXT = "Direct word for carol alone"
EDITED_TEXT = "Public heron sketch, inked and edited"


# ------------------------------------------------------------------ one server, one peer for the file


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[OurServer]:
    ours = OurServer(tmp_path_factory.mktemp("ours"), certs)
    try:
        ours.start()
        assert ours.config is not None
        for name in ARTISTS:
            done = subprocess.run(fediverse(ours.config, "user", "create", name, "--name", name.title(),
                                            "--password-stdin"),
                                  input=PASSWORD + "\n", capture_output=True, text=True, timeout=90,
                                  env=clean_env())
            assert done.returncode == 0, done.stdout + done.stderr
        yield ours
        assert ours.backing is not None
        ours.backing.check_used()
    finally:
        ours.stop()


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[FedifyPeer]:
    bob = FedifyPeer(tmp_path_factory.mktemp("peer"), certs.ca)
    try:
        yield bob
    finally:
        bob.stop()


def _info(server: OurServer, peer: FedifyPeer, result: Any = None) -> str:
    shown = json.dumps(result, indent=1, default=str)[:6000] if result is not None else ""
    return (f"\nFedify {fedify_version()} result:\n{shown}\n--- Fedify log (tail) ---\n{peer.log()[-5000:]}"
            f"\n--- our server log (tail) ---\n{server.log()[-8000:]}")


# ------------------------------------------------------------------ a person's browser, and our database


@contextmanager
def signed_in(server: OurServer, username: str) -> Iterator[httpx.Client]:
    """A client with a session from the real login form (its CSRF token taken from the page)."""
    with server.client() as client:
        login = client.get("/login")
        assert login.status_code == 200, login.text[:500]
        response = client.post("/login", data={"csrf_token": _csrf(login.text), "username": username,
                                               "password": PASSWORD})
        assert response.status_code == 303, response.text[:1000]
        yield client


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def page(client: httpx.Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, f"GET {path}: {response.status_code}\n{response.text[:1000]}"
    return response.text


def db(server: OurServer, query: Callable[[AsyncSession], Any]) -> Any:
    """Run `query` on the server's own database (SQLite file or its PostgreSQL database)."""
    assert server.backing is not None

    async def run() -> Any:
        engine = create_async_engine(server.backing.database_url)  # type: ignore[union-attr]
        try:
            async with AsyncSession(engine) as session:
                return await query(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def _local(session: AsyncSession, username: str) -> Account:
    account = await session.scalar(select(Account).where(Account.username == username, Account.domain.is_(None)))
    assert account is not None, username
    return account


def visible_notes(server: OurServer, username: str | None) -> set[str]:
    """The URIs of the stored remote notes `username` (None: signed out) may see, by services/visibility."""
    async def query(session: AsyncSession) -> set[str]:
        viewer = await _local(session, username) if username else None
        rows = await session.scalars(select(RemoteNote.uri).join(Status, Status.remote_note_id == RemoteNote.id)
                                     .where(visible_to(viewer)))
        return set(rows)
    return db(server, query)  # type: ignore[no-any-return]


def stored(server: OurServer, uri: str) -> dict[str, Any] | None:
    """A stored remote note by its URI: its text and its status's visibility (None when we hold none)."""
    async def query(session: AsyncSession) -> dict[str, Any] | None:
        row = await session.execute(select(RemoteNote.content_html, Status.visibility)
                                    .join(Status, Status.remote_note_id == RemoteNote.id)
                                    .where(RemoteNote.uri == uri))
        found = row.first()
        return None if found is None else {"content": found[0], "visibility": found[1]}
    return db(server, query)  # type: ignore[no-any-return]


def png(colour: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(out, "PNG")
    return out.getvalue()


# ------------------------------------------------------------------ the steps, each a module fixture


@dataclass
class Followed:
    search_html: str
    profile_html: str
    after_html: str


@pytest.fixture(scope="module")
def followed(server: OurServer, peer: FedifyPeer) -> Followed:
    """alice finds bob by search, opens his profile here, presses Follow; bob accepts."""
    with signed_in(server, "alice") as alice:
        search_html = page(alice, "/search?q=" + quote(peer.handle, safe=""))
        profile_path = f"/@bob@{peer.handle.split('@', 1)[1]}"
        assert f'href="{profile_path}"' in search_html, search_html[-3000:] + _info(server, peer)
        profile_html = page(alice, profile_path)
        form = re.search(r'<form method="post" action="/studio/follow">(.*?)</form>', profile_html, re.S)
        assert form, profile_html[-3000:]
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
        response = alice.post("/studio/follow", data=fields)
        assert response.status_code == 303, response.text[:1000]
        result = peer.command("wait_follower", actor=f"{server.base_url}/users/alice", timeout=30)
        assert result.get("ok") is True, _info(server, peer, result)
        wait_until(lambda: follow_state(server, "alice", peer.actor) == ACCEPTED, timeout=30,
                   what="alice's follow of bob to be accepted")
        after_html = page(alice, profile_path)
    return Followed(search_html, profile_html, after_html)


def follow_state(server: OurServer, username: str, actor_uri: str) -> str | None:
    async def query(session: AsyncSession) -> str | None:
        me = await _local(session, username)
        return await session.scalar(select(Follow.state).join(Account, Account.id == Follow.followee_id)
                                    .where(Follow.follower_id == me.id, Account.uri == actor_uri))
    return db(server, query)  # type: ignore[no-any-return]


@dataclass
class Posts:
    public: str
    followers: str
    direct: str
    image_url: str


@pytest.fixture(scope="module")
def posts(server: OurServer, peer: FedifyPeer, followed: Followed) -> Posts:
    """bob's three notes, each tagged #InteropTag; the public one with an image the peer serves."""
    image = {"path": "/media/heron.png", "base64": base64.b64encode(png()).decode(), "mediaType": "image/png",
             "alt": "A blue heron, in ink"}
    public = peer.command("publish", audience="public", content=f"<p>{PUBLIC_TEXT} #{TAG}</p>", hashtags=[TAG],
                          image=image)
    followers = peer.command("publish", audience="followers", content=f"<p>{FOLLOWERS_TEXT} #{TAG}</p>",
                             hashtags=[TAG])
    direct = peer.command("publish", audience="direct", to=f"{server.base_url}/users/carol",
                          content=f"<p>@carol {DIRECT_TEXT} #{TAG}</p>", hashtags=[TAG])
    for result in (public, followers, direct):
        assert result.get("ok") is True, _info(server, peer, result)
    made = Posts(public["note"], followers["note"], direct["note"], f"{peer.ready['origin']}/media/heron.png")
    wait_until(lambda: all(stored(server, uri) for uri in (made.public, made.followers, made.direct)),
               timeout=30, what="bob's three notes to be stored")
    return made


@pytest.fixture(scope="module")
def alice_work(server: OurServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str]:
    """alice's public work "Red kite", tagged with the same tag in another case: (its status id, its URI)."""
    image = tmp_path_factory.mktemp("work") / "kite.png"
    image.write_bytes(png((200, 80, 40)))
    server.cli("post", "alice", "--image", str(image), "--alt", "A red kite", "--title", "Red kite",
               "--tag", TAG.upper())
    return wait_until(lambda: work_of(server, "alice"), timeout=30, what="alice's work")  # type: ignore[no-any-return]


def work_of(server: OurServer, username: str) -> tuple[int, str] | None:
    """(status id, work URI) of the artist's one work."""
    async def query(session: AsyncSession) -> tuple[int, str] | None:
        author = await _local(session, username)
        row = (await session.execute(select(Status.id, Work.uri).join(Work, Work.id == Status.work_id)
                                     .where(Status.account_id == author.id))).first()
        return None if row is None else (row[0], row[1])
    return db(server, query)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ 1. follow from the search page


def test_artist_follows_the_fedify_actor_from_search_and_profile(server: OurServer, peer: FedifyPeer,
                                                                 followed: Followed) -> None:
    info = _info(server, peer)
    assert "Bob (Fedify)" in followed.search_html, info   # WebFinger + actor fetch, by our server, for alice
    assert peer.actor in followed.search_html, info        # their own page beside ours
    assert "Bob (Fedify)" in followed.profile_html and ">Follow</button>" in followed.profile_html, info
    assert follow_state(server, "alice", peer.actor) == ACCEPTED, info
    assert ">Unfollow</button>" in followed.after_html, info
    assert "following: 1" in server.cli("user", "show", "alice").stdout
    state = peer.command("state")["state"]
    assert state["unverified"] == [] and state["inboxErrors"] == [], _info(server, peer, state)
    follows = [r for r in state["received"] if r["type"] == "Follow"]
    assert [f["actor"] for f in follows] == [f"{server.base_url}/users/alice"], _info(server, peer, state)


# ------------------------------------------------------------------ 2. audiences


def test_posts_are_stored_with_their_audience(server: OurServer, peer: FedifyPeer, posts: Posts) -> None:
    info = _info(server, peer)
    assert {k: stored(server, uri)["visibility"] for k, uri in  # type: ignore[index]
            (("public", posts.public), ("followers", posts.followers), ("direct", posts.direct))} == \
        {"public": "public", "followers": "private", "direct": "direct"}, info
    mine = {posts.public, posts.followers, posts.direct}
    assert visible_notes(server, "alice") & mine == {posts.public, posts.followers}, info  # the follower
    assert visible_notes(server, "carol") & mine == {posts.public, posts.direct}, info     # addressed, not following
    assert visible_notes(server, "dave") & mine == {posts.public}, info                    # a stranger
    assert visible_notes(server, None) & mine == {posts.public}, info                      # signed out


def test_each_viewer_sees_on_the_remote_profile_only_what_they_may(server: OurServer, peer: FedifyPeer,
                                                                   posts: Posts) -> None:
    profile = f"/@bob@{peer.handle.split('@', 1)[1]}"
    expected = {"alice": {PUBLIC_TEXT, FOLLOWERS_TEXT}, "carol": {PUBLIC_TEXT, DIRECT_TEXT},
                "dave": {PUBLIC_TEXT}, None: {PUBLIC_TEXT}}
    for who, texts in expected.items():
        with signed_in(server, who) if who else server.client() as client:
            html = page(client, profile)
        shown = {t for t in (PUBLIC_TEXT, FOLLOWERS_TEXT, DIRECT_TEXT) if t in html}
        assert shown == texts, f"{who or 'signed out'} saw {shown}" + _info(server, peer)
    with server.client() as visitor:
        html = page(visitor, profile)
    assert "A blue heron, in ink" in html  # the image's alt text, on our copy or on a link to theirs


def test_only_the_public_post_reaches_public_pages(server: OurServer, peer: FedifyPeer, posts: Posts) -> None:
    with server.client() as visitor:
        tag_page = page(visitor, f"/tags/{TAG.lower()}")
        pages = {
            "tag page": tag_page,
            "tag page, other case": page(visitor, f"/tags/{TAG}"),
            "tag Atom feed": page(visitor, f"/tags/{TAG.lower()}.atom"),
            "front page": page(visitor, "/"),
            "alice's Atom feed": page(visitor, "/@alice/feed.atom"),
            "carol's Atom feed": page(visitor, "/@carol/feed.atom"),
            "alice's portfolio": page(visitor, "/@alice"),
            "carol's portfolio": page(visitor, "/@carol"),
        }
    assert PUBLIC_TEXT in tag_page, tag_page[-3000:] + _info(server, peer)
    assert PUBLIC_TEXT in pages["tag Atom feed"], pages["tag Atom feed"][-3000:]
    for name, html in pages.items():
        assert FOLLOWERS_TEXT not in html and DIRECT_TEXT not in html, f"{name} shows a non-public post"
    # Signed in, the tag page keeps the public-listing rule too: not even their addressees see them there.
    for who in ("alice", "carol"):
        with signed_in(server, who) as client:
            html = page(client, f"/tags/{TAG.lower()}")
        assert PUBLIC_TEXT in html and FOLLOWERS_TEXT not in html and DIRECT_TEXT not in html, who


def test_the_public_posts_image_is_fetched_from_the_peer(server: OurServer, peer: FedifyPeer, posts: Posts) -> None:
    profile = f"/@bob@{peer.handle.split('@', 1)[1]}"

    def cached() -> str | None:
        with server.client() as visitor:
            html = page(visitor, profile)
        found = re.search(r'<img src="([^"]*/media/remote/[^"]+)" alt="A blue heron, in ink"', html)
        return found.group(1) if found else None

    local = wait_until(cached, timeout=30, what="our cached copy of the post's image on the remote profile")
    with server.client() as visitor:
        response = visitor.get(local)
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/"), \
        response.text[:300]
    state = peer.command("state")["state"]
    fetched = [e for e in state["incoming"] if e["method"] == "GET" and e["url"] == posts.image_url]
    assert fetched and fetched[0]["status"] == 200, _info(server, peer, state)


def test_a_local_work_and_the_remote_post_share_the_tag_page(server: OurServer, peer: FedifyPeer, posts: Posts,
                                                             alice_work: tuple[int, str]) -> None:
    """`#INTEROPTAG` on alice's work and `#InteropTag` on bob's note: one tag, matched without regard to case."""
    shared = peer.command("publish", audience="public", content=f"<p>Kites over the dunes #{TAG}</p>",
                          hashtags=[TAG])
    assert shared.get("ok") is True, _info(server, peer, shared)
    wait_until(lambda: stored(server, shared["note"]), timeout=30, what="bob's post to be stored")
    with server.client() as visitor:
        for path in (f"/tags/{TAG.lower()}", f"/tags/{TAG.upper()}", f"/tags/{TAG.lower()}.atom"):
            html = page(visitor, path)
            assert "Kites over the dunes" in html and "Red kite" in html, path + html[-3000:]


# ------------------------------------------------------------------ the remote-interaction round trip


def test_fedify_finds_our_subscribe_template_and_erin_follows_bob_through_it(server: OurServer,
                                                                           peer: FedifyPeer) -> None:
    """On bob's server erin gives her handle: Fedify's WebFinger of it yields our subscribe template, filled in
    with bob's actor; signed out she is sent to log in and back; she presses Follow; bob accepts."""
    answer = peer.command("webfinger", handle=f"erin@{server.domain}")
    assert answer.get("ok") is True, _info(server, peer, answer)
    links = [link for link in answer["jrd"].get("links", []) if link.get("rel") == "http://ostatus.org/schema/1.0/subscribe"]
    assert len(links) == 1 and "{uri}" in links[0]["template"], answer
    target = links[0]["template"].replace("{uri}", quote(peer.actor, safe=""))
    assert target.startswith(server.base_url + "/authorize_interaction?uri="), target
    path = target[len(server.base_url):]
    with server.client() as visitor:
        response = visitor.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), \
        (response.status_code, response.headers.get("location"))
    with signed_in(server, "erin") as erin:
        html = page(erin, path)
        assert "Bob (Fedify)" in html and f">Follow @bob@{peer.handle.split('@', 1)[1]}</button>" in html, html[-3000:]
        form = re.search(r'<form method="post" action="/studio/follow">(.*?)</form>', html, re.S)
        assert form, html[-3000:]
        response = erin.post("/studio/follow", data=dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1))))
        assert response.status_code == 303, response.text[:1000]
    result = peer.command("wait_follower", actor=f"{server.base_url}/users/erin", timeout=30)
    assert result.get("ok") is True, _info(server, peer, result)
    wait_until(lambda: follow_state(server, "erin", peer.actor) == ACCEPTED, timeout=30,
               what="erin's follow of bob to be accepted")


# ------------------------------------------------------------------ /home, for each reader


def articles(html: str) -> list[str]:
    """The posts of a timeline page, one HTML fragment each."""
    return re.findall(r'<article class="post".*?</article>', html, re.S)


def test_home_shows_each_artist_what_she_may_see(server: OurServer, peer: FedifyPeer, posts: Posts) -> None:
    """alice (the follower) sees the public and followers-only posts, the image's alt text with them; the direct
    one to carol is not on her home. carol does not follow bob: our home holds only followed accounts and her
    own, so the direct post addressed to her is not on it either (unlike Mastodon, which puts mentions on home;
    she reads it on bob's profile here, tested above). dave, a stranger, sees none."""
    with signed_in(server, "alice") as alice:
        html = page(alice, "/home")
    assert PUBLIC_TEXT in html and FOLLOWERS_TEXT in html and DIRECT_TEXT not in html, html[-4000:]
    public = next(a for a in articles(html) if PUBLIC_TEXT in a)
    assert "A blue heron, in ink" in public, public
    followers = next(a for a in articles(html) if FOLLOWERS_TEXT in a)
    assert "followers only" in followers and "/boost" not in followers, followers  # not boostable
    for who in ("carol", "dave"):
        with signed_in(server, who) as client:
            html = page(client, "/home")
        shown = {t for t in (PUBLIC_TEXT, FOLLOWERS_TEXT, DIRECT_TEXT) if t in html}
        assert shown == set(), f"{who}'s /home shows {shown}" + _info(server, peer)


def test_like_and_boost_from_home_reach_the_peer(server: OurServer, peer: FedifyPeer, posts: Posts) -> None:
    alice_uri = f"{server.base_url}/users/alice"
    with signed_in(server, "alice") as alice:
        html = page(alice, "/home")
        public = next(a for a in articles(html) if PUBLIC_TEXT in a)
        for action in ("like", "boost"):
            path = re.search(rf'action="(/home/statuses/\d+/{action})"', public)
            assert path, public
            response = alice.post(path.group(1), data={"csrf_token": _csrf(html), "back": "/home"})
            assert response.status_code == 303, response.text[:1000]
        after = next(a for a in articles(page(alice, "/home")) if PUBLIC_TEXT in a and "boosted</p>" not in a)
    assert "/unlike" in after and "/unboost" in after, after

    def received() -> set[str]:
        state = peer.command("state")["state"]
        return {r["type"] for r in state["received"]
                if r["actor"] == alice_uri and r["object"] == posts.public and r["type"] in ("Like", "Announce")}

    wait_until(lambda: received() == {"Like", "Announce"}, timeout=30,
               what="bob to receive alice's Like and Announce of his post")
    state = peer.command("state")["state"]
    assert state["unverified"] == [] and state["inboxErrors"] == [], _info(server, peer, state)


# ------------------------------------------------------------------ 3. edit, then delete


def test_an_edit_then_a_delete_of_the_public_post(server: OurServer, peer: FedifyPeer, posts: Posts) -> None:
    profile = f"/@bob@{peer.handle.split('@', 1)[1]}"
    tag = f"/tags/{TAG.lower()}"
    result = peer.command("update", note=posts.public, content=f"<p>{EDITED_TEXT} #{TAG}</p>")
    assert result.get("ok") is True and result["deliveries"], _info(server, peer, result)
    wait_until(lambda: EDITED_TEXT in (stored(server, posts.public) or {}).get("content", ""), timeout=30,
               what="the edit to be applied")
    with server.client() as visitor:
        for path in (tag, profile):
            html = page(visitor, path)
            assert EDITED_TEXT in html and PUBLIC_TEXT not in html, path

    result = peer.command("delete", note=posts.public)
    assert result.get("ok") is True and result["deliveries"], _info(server, peer, result)
    wait_until(lambda: stored(server, posts.public) is None, timeout=30, what="the delete to be applied")
    with server.client() as visitor:
        for path in (tag, profile):
            assert EDITED_TEXT not in page(visitor, path), path
    with signed_in(server, "alice") as alice:  # the follower's other post stays
        html = page(alice, profile)
    assert EDITED_TEXT not in html and FOLLOWERS_TEXT in html


# ------------------------------------------------------------------ 4. boosts


def boosts_by(server: OurServer, actor_uri: str) -> dict[str, int | None]:
    """Boost statuses stored for the account `actor_uri`: {activity URI: the boosted status's id}."""
    async def query(session: AsyncSession) -> dict[str, int | None]:
        rows = await session.execute(select(Status.uri, Status.reblog_of_id).join(Account, Account.id == Status.account_id)
                                     .where(Account.uri == actor_uri, Status.reblog_of_id.is_not(None)))
        return {uri: of for uri, of in rows}
    return db(server, query)  # type: ignore[no-any-return]


def status_id_of(server: OurServer, note: str) -> int | None:
    async def query(session: AsyncSession) -> int | None:
        return await session.scalar(select(Status.id).join(RemoteNote, RemoteNote.id == Status.remote_note_id)
                                    .where(RemoteNote.uri == note))
    return db(server, query)  # type: ignore[no-any-return]


def test_boosts_of_its_own_post_and_of_our_work_are_stored_and_undone(
        server: OurServer, peer: FedifyPeer, posts: Posts, alice_work: tuple[int, str]) -> None:
    own = peer.command("publish", audience="public", content=f"<p>Boost me, said bob #{TAG}</p>", hashtags=[TAG])
    assert own.get("ok") is True, _info(server, peer, own)
    wait_until(lambda: stored(server, own["note"]), timeout=30, what="bob's post to be stored")
    work_status, work_uri = alice_work

    of_own = peer.command("announce", object=own["note"])
    of_work = peer.command("announce", object=work_uri)
    for result in (of_own, of_work):
        assert result.get("ok") is True, _info(server, peer, result)
    expected = {of_own["activity"]: status_id_of(server, own["note"]), of_work["activity"]: work_status}
    wait_until(lambda: boosts_by(server, peer.actor) == expected, timeout=30,
               what="both boosts to be stored as statuses with reblog_of_id")
    with signed_in(server, "alice") as alice:  # both boosts are on the follower's home, by bob's name
        boosted = [a for a in articles(page(alice, "/home")) if "Bob (Fedify)</a> boosted" in a]
    assert any("Boost me, said bob" in a for a in boosted) and any("Red kite" in a for a in boosted), boosted

    undone = peer.command("undo", activity=of_own["activity"])  # Undo(Announce): that boost goes, the other stays
    assert undone.get("ok") is True, _info(server, peer, undone)
    wait_until(lambda: boosts_by(server, peer.actor) == {of_work["activity"]: work_status}, timeout=30,
               what="the undone boost to be removed")
    assert stored(server, own["note"]), "the boosted post itself stays"
    state = peer.command("state")["state"]
    assert state["unverified"] == [] and state["inboxErrors"] == [], _info(server, peer, state)
