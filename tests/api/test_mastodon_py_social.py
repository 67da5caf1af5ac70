"""Mastodon.py against a real `fediverse serve` on loopback, signed in: two people authorise the app (the
sign-in and consent forms posted as a browser posts them; test_mastodon_py_oauth.py does it in Chromium), then
read the home timeline, favourite, reblog and bookmark, list favourites and bookmarks, read and dismiss
notifications, and save and read markers — every answer decoded into Mastodon.py's entity classes."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api.oauth_client import HIDDEN_RE, REDIRECT
from tests.api.test_mastodon_py_public import post
from tests.browser.test_studio_browser import PASSWORD, _jpeg, running_server
from tests.web.panel_client import csrf_of

pytestmark = [pytest.mark.slow]


def _code(base: str, authorize_url: str, username: str) -> str:
    """Sign in and press Authorise, as a browser would; the code from the app's redirect."""
    with httpx.Client(base_url=base, timeout=30) as browser:
        to_login = browser.get(authorize_url)
        assert to_login.status_code == 303, to_login.text
        login_page = browser.get(to_login.headers["location"])
        next_url = parse_qs(urlsplit(to_login.headers["location"]).query)["next"][0]
        signed_in = browser.post("/login", data={"csrf_token": csrf_of(login_page.text), "username": username,
                                                 "password": PASSWORD, "next": next_url})
        assert signed_in.status_code == 303, signed_in.text
        consent = browser.get(next_url)
        assert consent.status_code == 200, consent.text
        fields = {name: unescape(value) for name, value in HIDDEN_RE.findall(consent.text)}
        answer = browser.post("/oauth/authorize", data={**fields, "decision": "authorise"})
        assert answer.status_code == 302 and answer.headers["location"].startswith(REDIRECT), answer.text
        return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


def _signed_in(base: str, username: str):  # type: ignore[no-untyped-def]
    from mastodon import Mastodon

    client_id, client_secret = Mastodon.create_app("Social test", api_base_url=base, redirect_uris=REDIRECT,
                                                   scopes=["read", "write", "follow", "push"])
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, version_check_mode="none",
                   request_timeout=30)
    url = api.auth_request_url(redirect_uris=REDIRECT, scopes=["read", "write", "follow", "push"], allow_http=True)
    code = _code(base, url.replace(base, ""), username)
    api.log_in(code=code, redirect_uri=REDIRECT, scopes=["read", "write", "follow", "push"], allow_http=True)
    return api


def test_mastodon_py_reads_home_interacts_and_handles_notifications(tmp_path: Path) -> None:
    from mastodon.return_types import Marker, Notification, Status

    with running_server(tmp_path, users=(("alice", "artist"), ("dave", "artist"))) as base:
        image = _jpeg(tmp_path / "harbour.jpg")
        post(tmp_path, "--image", str(image), "--alt", "A lighthouse", "--title", "Harbour", "--text", "Ink #ink")
        alice, dave = _signed_in(base, "alice"), _signed_in(base, "dave")

        home = alice.timeline_home()
        assert len(home) == 1 and isinstance(home[0], Status) and home[0].account.acct == "alice"
        work = home[0]
        assert dave.timeline_home() == []  # he follows nobody

        liked = dave.status_favourite(work.id)
        assert isinstance(liked, Status) and liked.favourited and liked.favourites_count == 1
        boosted = dave.status_reblog(work.id)
        assert isinstance(boosted, Status) and boosted.reblog.id == work.id and boosted.reblog.reblogged
        marked = dave.status_bookmark(work.id)
        assert marked.bookmarked
        assert [s.id for s in dave.bookmarks()] == [work.id]
        assert [s.id for s in dave.favourites()] == [work.id]
        assert alice.bookmarks() == [] and alice.favourites() == []
        assert [a.acct for a in alice.status_favourited_by(work.id)] == ["dave"]
        assert [a.acct for a in alice.status_reblogged_by(work.id)] == ["dave"]
        assert not dave.status_unfavourite(work.id).favourited
        assert dave.favourites() == []
        assert not dave.status_unbookmark(work.id).bookmarked

        notes = alice.notifications()
        assert {n.type for n in notes} == {"favourite", "reblog"}
        assert all(isinstance(n, Notification) and n.account.acct == "dave" and n.status.id == work.id
                   for n in notes)
        assert [n.type for n in alice.notifications(types=["reblog"])] == ["reblog"]
        alice.notifications_dismiss(notes[0].id)
        assert [n.id for n in alice.notifications()] == [n.id for n in notes[1:]]
        assert dave.notifications() == []

        saved = alice.markers_set("home", work.id)
        assert isinstance(saved.home, Marker) and saved.home.last_read_id == work.id
        read = alice.markers_get("home")
        assert read.home.last_read_id == work.id and read.home.version == 0
        alice.notifications_clear()
        assert alice.notifications() == []
