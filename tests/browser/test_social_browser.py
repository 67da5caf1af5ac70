"""Issue 12's social core in a real headless Chromium, against real servers on loopback.

Our server (`fediverse serve` behind the interop TLS terminator, as in tests/interop) and the Fedify peer
(tests/interop/fedify/peer.mjs, actor `bob`) federate; a second server of ours, plain http on loopback, is the
visitor's own server for the portfolio "Follow". The browser trusts our throwaway CA only by ignoring https
errors (the page is ours; what is tested is the pages and the activities they send).

alice signs in, searches bob's handle, opens his profile here and follows; bob posts a public note with an image
and a hashtag; it shows on /home with its image and alt text; alice likes and boosts it (bob's inbox records the
Like and the Announce), replies on its thread page (bob receives the Create with inReplyTo), opens the tag page;
signed out, a visitor sees the front page's recent work and follows alice from her portfolio through their own
server, landing on that server's /authorize_interaction. Screenshots are left in the test's temporary directory.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from tests.backing import backing, clean_env, fediverse, job_worker, stop
from tests.browser.test_studio_browser import CHROMIUM_ARGS, _jpeg, _playwright
from tests.components import CHROMIUM
from tests.interop.fedify_peer import FedifyPeer
from tests.interop.support import LOOPBACK, OurServer, free_port, make_certs, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium"), pytest.mark.requires("fedify")]

PASSWORD = "a long browser password"
TAG = "HeronWeek"
POST_TEXT = "A heron at the weir this morning"
IMAGE_ALT = "A grey heron in ink, one leg raised"
WORK_ALT = "Charcoal study of reeds bending in the wind"
REPLY_TEXT = "Lovely line work on the legs"


def _users(config: Path, *names: str) -> None:
    for name in names:
        done = subprocess.run(fediverse(config, "user", "create", name, "--name", name.title(), "--password-stdin"),
                              input=PASSWORD + "\n", capture_output=True, text=True, timeout=90, env=clean_env())
        assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def plain_server(folder: Path, *names: str) -> Iterator[str]:
    """Another server of ours, http on 127.0.0.1 (its own domain), with local accounts `names`; its base URL."""
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    config = folder / "instance.toml"
    with backing(folder) as where:
        config.write_text(f'[instance]\ndomain = "{LOOPBACK}:{port}"\nscheme = "http"\nname = "Other server"\n'
                          f'[server]\nsecret_key_file = "secret.key"\n[media]\nroot = "media"\n{where.toml()}',
                          encoding="utf-8")
        _users(config, *names)
        with job_worker(config, folder), (folder / "server.log").open("wb") as log:
            process = subprocess.Popen(fediverse(config, "serve", "--host", LOOPBACK, "--port", str(port)),
                                       stdout=log, stderr=subprocess.STDOUT, env=clean_env(), cwd=folder)
            try:
                wait_until(lambda: _answers(process, f"{base}/login", folder), timeout=60,
                           what="the other server to start")
                yield base
            finally:
                stop(process)


def _answers(process: subprocess.Popen[bytes], url: str, folder: Path) -> bool:
    assert process.poll() is None, (folder / "server.log").read_text()
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[OurServer, FedifyPeer, str]]:
    """(our server with alice, the Fedify peer, the other server's base URL where `visitor` has an account)."""
    certs = make_certs(tmp_path / "certs")
    ours = OurServer(tmp_path / "ours", certs)
    (tmp_path / "ours").mkdir()
    (tmp_path / "peer").mkdir()
    (tmp_path / "other").mkdir()
    with ExitStack() as stack:
        stack.callback(ours.stop)
        ours.start()
        assert ours.config is not None
        _users(ours.config, "alice")
        peer = FedifyPeer(tmp_path / "peer", certs.ca)
        stack.callback(peer.stop)
        other = stack.enter_context(plain_server(tmp_path / "other", "visitor"))
        yield ours, peer, other


def _png_b64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), (90, 110, 140)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def _received(peer: FedifyPeer, kind: str, actor: str) -> list[dict[str, Any]]:
    return [r for r in peer.command("state")["state"]["received"] if r["type"] == kind and r["actor"] == actor]


def _reload_until(page: Any, url: str, check: Any, what: str, timeout: float = 30) -> None:
    """Load `url` again until `check(page)` holds (bounded): for what arrives by federation."""
    def loaded() -> bool:
        page.goto(url)
        return bool(check(page))
    wait_until(loaded, timeout=timeout, interval=0.5, what=what)


def test_artist_follows_sees_likes_boosts_replies_and_a_visitor_follows_from_elsewhere(
        servers: tuple[OurServer, FedifyPeer, str], tmp_path: Path) -> None:
    ours, peer, other = servers
    base, alice_uri = ours.base_url, f"{ours.base_url}/users/alice"
    bob_host = peer.handle.split("@", 1)[1]
    ours.cli("post", "alice", "--image", str(_jpeg(tmp_path / "reeds.jpg")), "--alt", WORK_ALT, "--title", "Reeds")
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(ignore_https_errors=True, viewport={"width": 1200, "height": 900}).new_page()
            page.set_default_timeout(30_000)
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(f"{base}/login")
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/studio")

            # Search bob's handle, open his profile here, Follow; bob accepts.
            page.goto(f"{base}/search")
            page.fill("#q", peer.handle)
            page.click("main button:has-text('Search')")
            page.wait_for_url(f"{base}/search?q=*")
            page.click(f'a[href="/@bob@{bob_host}"]')
            page.wait_for_url(f"{base}/@bob@{bob_host}")
            page.screenshot(path=str(tmp_path / "remote-profile.png"), full_page=True)
            page.click("form[action='/studio/follow'] button:has-text('Follow')")
            followed = peer.command("wait_follower", actor=alice_uri, timeout=30)
            assert followed.get("ok") is True, followed
            _reload_until(page, f"{base}/@bob@{bob_host}",
                          lambda pg: pg.locator("button:has-text('Unfollow')").count() == 1, "the follow accepted")

            # bob posts a public note with an image and a hashtag: on /home, with the image and its alt text.
            posted = peer.command("publish", audience="public", content=f"<p>{POST_TEXT} #{TAG}</p>",
                                  hashtags=[TAG], image={"path": "/media/heron.png", "base64": _png_b64(),
                                                         "mediaType": "image/png", "alt": IMAGE_ALT})
            assert posted.get("ok") is True, posted
            note = posted["note"]
            picture = f'article.post img[alt="{IMAGE_ALT}"]'
            _reload_until(page, f"{base}/home", lambda pg: pg.locator(picture).count() == 1,
                          "bob's post with its cached image on /home")
            page.wait_for_function("sel => { const img = document.querySelector(sel);"
                                   " return img && img.complete && img.naturalWidth > 0; }", arg=picture)
            post = page.locator("article.post", has_text=POST_TEXT)
            page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

            # Like and Boost: bob's inbox records both, from alice, of his note.
            post.locator("button:has-text('Like')").click()
            page.wait_for_url(f"{base}/home*")
            page.locator("article.post", has_text=POST_TEXT).first.locator("button:has-text('Boost')").click()
            page.wait_for_url(f"{base}/home*")
            assert page.locator("article.post", has_text=POST_TEXT).first.locator(
                "button:has-text('Unlike')").count() == 1
            for kind in ("Like", "Announce"):
                wait_until(lambda: [r for r in _received(peer, kind, alice_uri) if r["object"] == note],
                           timeout=30, what=f"bob to receive alice's {kind}")
            page.screenshot(path=str(tmp_path / "home-liked.png"), full_page=True)

            # Reply on the post's thread page: bob receives a Create in reply to his note.
            page.locator("article.post", has_text=POST_TEXT).first.locator("a:has-text('Reply')").click()
            page.wait_for_url(f"{base}/statuses/*")
            page.fill("#reply-text", REPLY_TEXT)
            page.click("form.reply button:has-text('Reply')")
            page.wait_for_load_state()
            wait_until(lambda: [r for r in _received(peer, "Create", alice_uri) if r.get("inReplyTo") == note],
                       timeout=30, what="bob to receive alice's reply (Create with inReplyTo)")
            page.screenshot(path=str(tmp_path / "thread.png"), full_page=True)

            # The hashtag's page here (bob's own hashtag link points at his server): his post is on it.
            page.goto(f"{base}/tags/{quote(TAG.lower())}")
            assert page.locator("main", has_text=POST_TEXT).count() == 1, page.content()[-3000:]
            page.screenshot(path=str(tmp_path / "tag.png"), full_page=True)

            # Sign out; a visitor sees the instance's recent public work on the front page.
            page.goto(f"{base}/studio")
            page.click("form[action='/logout'] button")
            page.wait_for_load_state()
            page.goto(f"{base}/")
            page.wait_for_function("sel => { const img = document.querySelector(sel);"
                                   " return img && img.complete && img.naturalWidth > 0; }",
                                   arg=f'img[alt="{WORK_ALT}"]')
            page.screenshot(path=str(tmp_path / "front.png"), full_page=True)

            # On alice's portfolio the visitor presses Follow, gives a handle on the other server, lands there.
            page.goto(f"{base}/@alice")
            page.click("a:has-text('Follow')")
            page.wait_for_url(f"{base}/@alice/follow")
            page.fill("#handle", f"visitor@{other.split('://', 1)[1]}")
            page.click("button:has-text('Continue to your server')")
            page.wait_for_url(re.compile(re.escape(other) + r"/(authorize_interaction|login)\?"))
            landed = page.url
            assert (landed.startswith(f"{other}/authorize_interaction?uri={quote(alice_uri, safe='')}")
                    or landed.startswith(f"{other}/login?next=") and "authorize_interaction" in landed), landed
            page.screenshot(path=str(tmp_path / "other-server.png"), full_page=True)
            assert not [m for m in console if "Content Security Policy" in m], console
        finally:
            browser.close()
    state = peer.command("state")["state"]
    assert state["unverified"] == [] and state["inboxErrors"] == [], state
