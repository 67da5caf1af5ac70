"""A person's browser against an in-process instance: cookies kept, forms sent with their CSRF token."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
from PIL import Image

from tests.support import Instance

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def browser(instance: Instance) -> httpx.AsyncClient:
    """Cookies persist across requests; redirects are not followed, so tests see each 303."""
    return httpx.AsyncClient(transport=instance.network.apps[instance.domain], base_url=instance.base)


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def token(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text[:500]
    return csrf_of(response.text)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    csrf = await token(client, "/login")
    return await client.post("/login", data={"csrf_token": csrf, "username": username, "password": password},
                             headers=headers)


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict[str, Any] | None = None,
                    files: Any = None) -> httpx.Response:
    """Open `page`, take its CSRF token, and send the form to `action` as a browser would."""
    csrf = await token(client, page)
    return await client.post(action, data={"csrf_token": csrf, **(data or {})}, files=files)


def jpeg(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def errors_in(html: str) -> str:
    """The visible error text of a page, for assertion messages."""
    return " ".join(re.findall(r'class="(?:errors|field-error)"[^>]*>(.*?)</', html, re.S))
