"""End to end with Mastodon.py (the Python library scripts and bots use) against a real `fediverse serve` on
loopback, the consent screen completed in a real headless Chromium: register the app, sign in, Authorise,
trade the code, call the API with the token, revoke it. Mastodon.py 2.3 has no PKCE path (it sends none).

Skipped without Chromium at /usr/bin/chromium and playwright (an error under CI=true: tests/components.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from mastodon import Mastodon, MastodonUnauthorizedError

from tests.browser.test_studio_browser import CHROMIUM_ARGS, PASSWORD, _free_port, _playwright, running_server
from tests.components import CHROMIUM

OOB = "urn:ietf:wg:oauth:2.0:oob"
pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path) as base:
        yield base


def _sign_in_and_authorise(page, url: str, server: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                           shot: str) -> None:
    page.goto(url)
    if page.url.startswith(f"{server}/login"):
        page.fill("#username", "alice")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
    page.wait_for_selector("text=Authorise Mastodon.py test?")
    assert "Read everything in your account" in page.content()
    page.screenshot(path=str(tmp_path / shot), full_page=True)


def test_mastodon_py_registers_gets_consent_in_a_browser_and_uses_its_token(server: str, tmp_path: Path) -> None:
    callback_port = _free_port()
    callback = f"http://127.0.0.1:{callback_port}/callback"
    client_id, client_secret = Mastodon.create_app("Mastodon.py test", api_base_url=server,
                                                   redirect_uris=[OOB, callback], website="https://example.org/bot")
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server, version_check_mode="none")
    oob_url = api.auth_request_url(redirect_uris=OOB, allow_http=True)
    assert oob_url.startswith(f"{server}/oauth/authorize?")  # read from /.well-known/oauth-authorization-server
    http_url = api.auth_request_url(redirect_uris=callback, state="opaque-state", allow_http=True)

    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            _sign_in_and_authorise(page, oob_url, server, tmp_path, "consent-oob.png")
            page.click("button:has-text('Authorise')")
            page.wait_for_selector("#code")
            oob_code = page.input_value("#code")

            # A loopback redirect, as desktop apps use: the form's CSP must let the browser follow it.
            seen: list[str] = []
            page.route(f"http://127.0.0.1:{callback_port}/**",
                       lambda route: (seen.append(route.request.url), route.fulfill(status=200, body="ok")))
            _sign_in_and_authorise(page, http_url, server, tmp_path, "consent-http.png")
            page.click("button:has-text('Authorise')")
            page.wait_for_url(f"{callback}?*")
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
    back = {k: v[0] for k, v in parse_qs(urlsplit(seen[-1]).query).items()}
    assert back["state"] == "opaque-state"

    token = api.log_in(code=oob_code, redirect_uri=OOB, allow_http=True)
    assert api.app_verify_credentials()["name"] == "Mastodon.py test"

    second = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server, version_check_mode="none")
    second_token = second.log_in(code=back["code"], redirect_uri=callback, allow_http=True)
    assert second.app_verify_credentials()["website"] == "https://example.org/bot"
    with pytest.raises(Exception):  # the code works once
        Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server,
                 version_check_mode="none").log_in(code=back["code"], redirect_uri=callback, allow_http=True)

    second.revoke_access_token(allow_http=True)
    for gone in (second_token, token + "x"):
        with pytest.raises(MastodonUnauthorizedError):
            Mastodon(access_token=gone, api_base_url=server, version_check_mode="none").app_verify_credentials()
    assert Mastodon(access_token=token, api_base_url=server, version_check_mode="none").app_verify_credentials()
