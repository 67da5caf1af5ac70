"""Issue 13's "done when", as a new user would try it: an artist adds her account in a Mastodon app and works
from it, against a real `fediverse serve` and a real third-party peer (Fedify, actor `bob`), over HTTPS.

Mastodon.py (the library scripts and bots use) stands in for the app and headless Chromium for the consent
screen. alice registers the app, signs in and authorises it; uploads two images with alt text and posts them:
the post is a work on her portfolio page and reaches bob (who follows her) as a Create whose attachments carry
the alt text. She finds bob with search-resolve, follows him, sees his post in her home timeline, favourites it
(bob receives the Like), and is notified when bob favourites her work.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from mastodon import Mastodon
from PIL import Image

from tests.backing import clean_env, fediverse
from tests.browser.test_studio_browser import CHROMIUM_ARGS, _playwright
from tests.components import CHROMIUM
from tests.interop.fedify_peer import FedifyPeer
from tests.interop.support import Certs, OurServer, make_certs, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.requires("fedify"), pytest.mark.requires("chromium")]

PASSWORD = "correct horse battery"
OOB = "urn:ietf:wg:oauth:2.0:oob"
ALTS = ("A grey heron standing in reeds, ink wash", "The same heron taking off, wings spread")


@pytest.fixture
def certs(tmp_path: Path) -> Certs:
    return make_certs(tmp_path / "certs")


@pytest.fixture
def server(tmp_path: Path, certs: Certs) -> Iterator[OurServer]:
    ours = OurServer(tmp_path / "ours", certs)
    (tmp_path / "ours").mkdir()
    try:
        ours.start()
        assert ours.config is not None
        done = subprocess.run(fediverse(ours.config, "user", "create", "alice", "--name", "Alice",
                                        "--password-stdin"), input=PASSWORD + "\n", capture_output=True,
                              text=True, timeout=90, env=clean_env())
        assert done.returncode == 0, done.stdout + done.stderr
        yield ours
    finally:
        ours.stop()


@pytest.fixture
def http(certs: Certs) -> Iterator[requests.Session]:
    """The app's HTTP session, trusting our test CA; closed before the servers stop (no socket left open)."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment wins over `verify` (requests #3829)
    session.verify = str(certs.ca)
    with session:
        yield session


@pytest.fixture
def peer(tmp_path: Path, certs: Certs) -> Iterator[FedifyPeer]:
    (tmp_path / "peer").mkdir()
    bob = FedifyPeer(tmp_path / "peer", certs.ca)
    try:
        yield bob
    finally:
        bob.stop()


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def _consent_code(server: OurServer, url: str, tmp_path: Path) -> str:
    """Sign in and press Authorise on the consent page in a real Chromium; the out-of-band code it shows."""
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()  # our test CA, not the system's
            page.goto(url)
            if page.url.startswith(f"{server.base_url}/login"):
                page.fill("#username", "alice")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
            page.wait_for_selector("text=Authorise Heron Poster?")
            page.screenshot(path=str(tmp_path / "consent.png"), full_page=True)
            page.click("button:has-text('Authorise')")
            page.wait_for_selector("#code")
            return page.input_value("#code")
        finally:
            browser.close()


def _received(peer: FedifyPeer, kind: str, **match: Any) -> list[dict[str, Any]]:
    state = peer.command("state")["state"]
    return [r for r in state["received"] if r["type"] == kind and all(r.get(k) == v for k, v in match.items())]


def test_an_artist_works_from_a_mastodon_app_and_everything_shows_on_the_web_and_federates(
        server: OurServer, peer: FedifyPeer, http: requests.Session, tmp_path: Path) -> None:
    alice_uri = f"{server.base_url}/users/alice"
    assert peer.command("follow", handle=f"alice@{server.domain}", timeout=30)["ok"]  # bob follows alice

    # 1. She adds her account in the app: register, consent in the browser, trade the code.
    client_id, client_secret = Mastodon.create_app("Heron Poster", api_base_url=server.base_url,
                                                   redirect_uris=OOB, session=http)
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.base_url,
                   version_check_mode="none", session=http)
    code = _consent_code(server, app.auth_request_url(redirect_uris=OOB, scopes=["read", "write", "follow"]),
                         tmp_path)
    app.log_in(code=code, redirect_uri=OOB, scopes=["read", "write", "follow"])
    me = app.account_verify_credentials()
    assert me["username"] == "alice" and me["source"]["privacy"] in ("public", "unlisted", "private")

    # 2. She posts a work with two images and alt text from the app.
    media = [app.media_post(_png(colour), mime_type="image/png", description=alt, focus=(0.2, -0.4))
             for colour, alt in zip(((90, 110, 130), (200, 180, 150)), ALTS)]
    posted = app.status_post("Two heron studies #herons", media_ids=[m["id"] for m in media])
    assert [m["description"] for m in posted["media_attachments"]] == list(ALTS)
    with server.client() as web:
        portfolio = web.get("/@alice")
        assert portfolio.status_code == 200 and ALTS[0] in portfolio.text, portfolio.text[-3000:]
    create = wait_until(lambda: _received(peer, "Create", actor=alice_uri), timeout=30,
                        what="alice's work reaching bob")[-1]
    assert sorted(a["name"] for a in create["attachments"]) == sorted(ALTS), create

    # 3. She finds bob by search-resolve, follows him, and sees his post in her home timeline.
    found = app.search_v2(peer.handle, resolve=True)["accounts"]
    assert [a["acct"] for a in found] == [peer.handle]
    relationship = app.account_follow(found[0]["id"])
    assert relationship["following"] or relationship["requested"]
    assert peer.command("wait_follower", actor=alice_uri, timeout=30)["ok"]
    published = peer.command("publish", audience="public", content="<p>Bob's marsh at dawn</p>")
    assert published["ok"], published
    home = wait_until(lambda: [s for s in app.timeline_home() if s["uri"] == published["note"]], timeout=30,
                      what="bob's post in alice's home timeline")

    # 4. She favourites it: bob receives the Like.
    assert app.status_favourite(home[0]["id"])["favourited"] is True
    wait_until(lambda: _received(peer, "Like", actor=alice_uri, object=published["note"]), timeout=30,
               what="alice's Like reaching bob")

    # 5. bob favourites her work: she is notified in the app.
    assert peer.command("like", object=posted["uri"], to=alice_uri)["ok"]
    notified = wait_until(lambda: [n for n in app.notifications(types=["favourite"])
                                   if n["account"]["acct"] == peer.handle], timeout=30,
                          what="the favourite notification")
    assert notified[0]["status"]["id"] == posted["id"]
