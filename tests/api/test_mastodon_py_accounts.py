"""Mastodon.py against a real `fediverse serve` on loopback, signed in: two artists authorise the library (the
sign-in and consent forms posted as a browser would, the out-of-band code read from the page), then its account
calls decode into its entity classes: verify and update credentials, preferences, relationships, following a
second local artist who approves by hand, her follow requests and their authorisation."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import httpx
import pytest

from tests.api.oauth_client import HIDDEN_RE
from tests.browser.test_studio_browser import PASSWORD, _jpeg, running_server
from tests.web.panel_client import csrf_of

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_RE = re.compile(r'id="code" readonly value="([^"]+)"')
pytestmark = [pytest.mark.slow]


def _code(base: str, authorize_url: str, username: str) -> str:
    """Sign in and press Authorise with plain HTTP forms; the code the out-of-band page shows."""
    with httpx.Client(base_url=base, timeout=30) as browser:
        login = browser.get("/login")
        signed_in = browser.post("/login", data={"csrf_token": csrf_of(login.text), "username": username,
                                                 "password": PASSWORD, "next": "/studio"})
        assert signed_in.status_code == 303, signed_in.text
        consent = browser.get(authorize_url)
        assert consent.status_code == 200 and "Authorise" in consent.text, consent.text
        fields = {name: unescape(value) for name, value in HIDDEN_RE.findall(consent.text)}
        shown = browser.post("/oauth/authorize", data={**fields, "decision": "authorise"})
        assert shown.status_code == 200, shown.text
        found = CODE_RE.search(shown.text)
        assert found, shown.text
        return unescape(found.group(1))


def test_mastodon_py_manages_the_signed_in_account(tmp_path: Path) -> None:
    from mastodon import Mastodon
    from mastodon.return_types import Account, Preferences, Relationship

    with running_server(tmp_path, users=(("alice", "artist"), ("dave", "artist"))) as base:
        client_id, client_secret = Mastodon.create_app("Accounts test", api_base_url=base, redirect_uris=OOB,
                                                       scopes=["read", "write", "follow"])

        def signed_in(username: str) -> Mastodon:
            api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                           version_check_mode="none", request_timeout=30)
            url = api.auth_request_url(redirect_uris=OOB, scopes=["read", "write", "follow"], allow_http=True)
            api.log_in(code=_code(base, url.split(base, 1)[1], username), redirect_uri=OOB,
                       scopes=["read", "write", "follow"], allow_http=True)
            return api

        alice, dave = signed_in("alice"), signed_in("dave")
        me = alice.account_verify_credentials()
        assert isinstance(me, Account) and me.username == "alice" and me.source.follow_requests_count == 0

        with _jpeg(tmp_path / "avatar.jpg").open("rb") as picture:  # a path would be left open by Mastodon.py
            updated = alice.account_update_credentials(
                display_name="Alice Ink", note="Harbours in ink.", locked=True,
                fields=[("Site", "https://alice.example"), ("Pronouns", "she/her")],
                avatar=picture, avatar_mime_type="image/jpeg")
        assert updated.display_name == "Alice Ink" and updated.locked is True
        assert updated.source.note == "Harbours in ink."
        assert [(f.name, f.value) for f in updated.source.fields] == [("Site", "https://alice.example"),
                                                                      ("Pronouns", "she/her")]
        assert "/static/avatar.png" not in updated.avatar
        assert httpx.get(updated.avatar, timeout=30).status_code == 200

        prefs = alice.preferences()
        assert isinstance(prefs, Preferences) and prefs["posting:default:visibility"] == "public"

        asked = dave.account_follow(me.id)
        assert isinstance(asked, Relationship) and asked.requested and not asked.following
        waiting = alice.follow_requests()
        assert [a.username for a in waiting] == ["dave"]
        assert alice.account_verify_credentials().source.follow_requests_count == 1
        answered = alice.follow_request_authorize(waiting[0].id)
        assert answered.followed_by and not answered.requested_by

        [seen] = dave.account_relationships(me.id)
        assert isinstance(seen, Relationship) and seen.following and not seen.requested
        assert [a.username for a in dave.account_followers(me.id)] == ["dave"]
        assert [a.username for a in alice.account_search("dav")] == ["dave"]
        assert not dave.account_unfollow(me.id).following
