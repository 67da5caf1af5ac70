"""An in-process instance served for real on loopback (uvicorn, in the test's event loop) and WebSocket clients
of its streaming API: the tests post through the services and hear the events over real sockets."""

from __future__ import annotations

import asyncio
import json
import socket
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from fediverse.models import utcnow
from fediverse.services import oauth
from tests.api.oauth_client import REDIRECT
from tests.federation.helpers import user
from tests.support import Instance

WAIT = 10.0  # seconds for an event that must come
QUIET = 0.6  # seconds of silence that show an event did not come


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def served(instance: Instance) -> AsyncIterator[str]:
    """``instance``'s app on a free loopback port (its runtime already started); yields the ws:// base."""
    port = free_port()
    config = uvicorn.Config(instance.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning",
                            ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def token(instance: Instance, username: str, scopes: tuple[str, ...] = ("read",)) -> str:
    """A token of a registered app for this person, issued by the services the OAuth endpoints use."""
    async with instance.rt.sessions() as session:
        app = (await oauth.register_app(session, "Elk", None, [REDIRECT], list(scopes), utcnow())).app
        person = await user(instance, username)
        code = await oauth.issue_code(session, app, person.account_id, REDIRECT, list(scopes), None, utcnow())
        return (await oauth.trade_code(session, app, code, REDIRECT, None, utcnow())).token


@asynccontextmanager
async def socket_of(base: str, access_token: str, query: str = "", **options: Any) -> AsyncIterator[ClientConnection]:
    """A streaming connection with the token in ``?access_token=`` (and ``query`` after it)."""
    url = f"{base}/api/v1/streaming?access_token={access_token}{'&' + query if query else ''}"
    async with connect(url, open_timeout=WAIT, **options) as ws:
        yield ws


async def next_message(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def silence(ws: ClientConnection, timeout: float = QUIET) -> None:
    """Nothing arrives within ``timeout``."""
    try:
        got = await asyncio.wait_for(ws.recv(), timeout)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message: {got}")


async def subscribe(ws: ClientConnection, stream: str, **extra: str) -> None:
    await ws.send(json.dumps({"type": "subscribe", "stream": stream, **extra}))


async def settle(ws: ClientConnection) -> None:
    """Wait until the server has handled the messages sent before (it answers a bad one in order)."""
    await ws.send("settle")
    assert (await next_message(ws))["error"] == "Could not parse message"
