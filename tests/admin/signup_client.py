"""Signing up as a browser would: open /signup, keep its CSRF token and signed stamp, send the form."""

from __future__ import annotations

import re
from typing import Any

import httpx

from fediverse.web.panel.secret import derive_key, load_or_create_secret
from tests.support import Instance
from tests.web.panel_client import PASSWORD, csrf_of

STAMP_RE = re.compile(r'name="stamp" value="([^"]+)"')
INVITE_RE = re.compile(r'name="invite" value="([^"]+)"')
# Open mode without the fill-time wait or the idle fall-back, unless a test asks for them.
OPEN = {"mode": "open", "min_fill_seconds": 0, "auto_approval_after_hours": 0, "attempts_per_hour_per_ip": 100}


def stamp_of(html: str) -> str:
    match = STAMP_RE.search(html)
    assert match, "the page has no sign-up form"
    return match.group(1)


def from_ip(instance: Instance, ip: str) -> httpx.AsyncClient:
    """A browser whose requests come from `ip` (the ASGI peer address the app sees)."""
    transport = httpx.ASGITransport(app=instance.app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url=instance.base)


def signup_key(instance: Instance) -> bytes:
    """The server's key for sign-up stamps (tests may sign with it; a bot cannot)."""
    return derive_key(load_or_create_secret(instance.rt.settings.server.secret_key_file), "signup-form")


async def open_form(client: httpx.AsyncClient, path: str = "/signup") -> tuple[str, str, str]:
    """(csrf token, stamp, page html) of the sign-up form."""
    page = await client.get(path)
    assert page.status_code == 200, page.text[:500]
    return csrf_of(page.text), stamp_of(page.text), page.text


def fields(username: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"username": username, "email": f"{username}@mail.example", "password": PASSWORD,
                            "password_confirm": PASSWORD, "accept_rules": "1", "reason": "I draw birds", "website": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


async def sign_up(client: httpx.AsyncClient, username: str, *, path: str = "/signup", **overrides: Any) -> httpx.Response:
    csrf, stamp, html = await open_form(client, path)
    invite = INVITE_RE.search(html)  # the hidden field the form carries when opened from an invite link
    data = {"csrf_token": csrf, "stamp": stamp, **({"invite": invite.group(1)} if invite else {})}
    return await client.post("/signup", data={**data, **fields(username, **overrides)})
