"""Streaming across real processes: a `fediverse serve` holds the WebSocket, a separate `fediverse post` command
(its own process, its own runtime) publishes a work, and the event crosses through Redis pub/sub to the socket.
The token comes from the real OAuth flow over HTTP (sign in, consent, code, token).

Needs Redis (FEDIVERSE_TEST_REDIS_URL; the PostgreSQL pass sets it): without it each process fans out alone.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.api.oauth_client import REDIRECT, authorize_url, decide, register, trade
from tests.backing import clean_env, fediverse
from tests.browser.test_studio_browser import PASSWORD, _jpeg, running_server
from tests.web.panel_client import csrf_of

pytestmark = [pytest.mark.slow, pytest.mark.redis]


async def _token(client: httpx.AsyncClient) -> str:
    """alice authorises an app in the browser flow (sign-in page, consent page) and the app trades the code."""
    app = await register(client)
    first = await client.get(authorize_url(app))
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next="), first.text
    login_page = await client.get(first.headers["location"])
    next_url = parse_qs(urlsplit(first.headers["location"]).query)["next"][0]
    signed_in = await client.post("/login", data={"csrf_token": csrf_of(login_page.text), "username": "alice",
                                                  "password": PASSWORD, "next": next_url})
    assert signed_in.status_code == 303, signed_in.text
    consent = await client.get(next_url)
    answer = await decide(client, consent)
    assert answer.status_code == 302 and answer.headers["location"].startswith(REDIRECT), answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    traded = await trade(client, app, code)
    assert traded.status_code == 200, traded.text
    return str(traded.json()["access_token"])


def test_a_work_posted_by_another_process_reaches_the_socket_through_redis(tmp_path: Path) -> None:
    with running_server(tmp_path) as base:  # sync: it makes its PostgreSQL database with asyncio.run
        status = asyncio.run(_post_and_listen(base, tmp_path))
    assert status["account"]["username"] == "alice"
    assert [m["description"] for m in status["media_attachments"]] == ["A lighthouse in ink"]


async def _post_and_listen(base: str, tmp_path: Path) -> dict[str, Any]:
    """alice's token listens to her home stream in the server; `fediverse post` (another process) posts."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = await _token(client)
    streaming = base.replace("http", "ws", 1) + "/api/v1/streaming?stream=user"
    async with connect(streaming, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        image = _jpeg(tmp_path / "harbour.jpg")
        command = await asyncio.create_subprocess_exec(
            *fediverse(tmp_path / "instance.toml", "post", "alice", "--image", str(image),
                       "--alt", "A lighthouse in ink", "--title", "From the command line"),
            cwd=tmp_path, env=clean_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(command.communicate(), 120)
        assert command.returncode == 0, (out + err).decode()
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert message["stream"] == ["user"] and message["event"] == "update"
    return dict(json.loads(message["payload"]))
