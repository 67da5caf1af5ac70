"""An app and a person's browser going through OAuth against an in-process instance."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support import Instance
from tests.web.panel_client import PASSWORD, csrf_of

REDIRECT = "icecubesapp://oauth-callback"
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class App:
    client_id: str
    client_secret: str
    entity: dict[str, Any]


def api(instance: Instance) -> httpx.AsyncClient:
    """An app's HTTP client (no cookies kept between tests, redirects not followed)."""
    return httpx.AsyncClient(transport=instance.network.apps[instance.domain], base_url=instance.base)


async def register(client: httpx.AsyncClient, scopes: str = "read write follow push",
                   redirect_uris: str = REDIRECT) -> App:
    response = await client.post("/api/v1/apps", data={"client_name": "Ice Cubes", "redirect_uris": redirect_uris,
                                                       "scopes": scopes, "website": "https://icecubes.example"})
    assert response.status_code == 200, response.text
    body = response.json()
    return App(body["client_id"], body["client_secret"], body)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(app: App, scope: str = "read write follow push", redirect_uri: str = REDIRECT,
                  **extra: str) -> str:
    return "/oauth/authorize?" + urlencode({"response_type": "code", "client_id": app.client_id,
                                            "redirect_uri": redirect_uri, "scope": scope, **extra})


async def consent_page(browser: httpx.AsyncClient, url: str, username: str = "alice") -> httpx.Response:
    """Open the authorize address signed out: the login page, then back to the consent page."""
    first = await browser.get(url)
    if first.status_code == 200:
        return first
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next="), first.text
    login_page = await browser.get(first.headers["location"])
    next_url = parse_qs(urlsplit(first.headers["location"]).query)["next"][0]
    signed_in = await browser.post("/login", data={"csrf_token": csrf_of(login_page.text), "username": username,
                                                   "password": PASSWORD, "next": next_url})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == next_url, signed_in.text
    page = await browser.get(next_url)
    assert page.status_code == 200, page.text
    return page


async def decide(browser: httpx.AsyncClient, page: httpx.Response, decision: str = "authorise") -> httpx.Response:
    fields = {name: unescape(value) for name, value in HIDDEN_RE.findall(page.text)}
    return await browser.post("/oauth/authorize", data={**fields, "decision": decision})


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def code_for(browser: httpx.AsyncClient, app: App, **extra: str) -> str:
    page = await consent_page(browser, authorize_url(app, **extra))
    answer = await decide(browser, page)
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith(REDIRECT + "?")
    return query_of(answer.headers["location"])["code"]


async def trade(client: httpx.AsyncClient, app: App, code: str, **extra: str) -> httpx.Response:
    return await client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                   "client_id": app.client_id, "client_secret": app.client_secret,
                                                   "redirect_uri": REDIRECT, **extra})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
