"""A real client: masto (npm; the API client of Elk and Phanpy) streams the user timeline of a token over a real
WebSocket (the token sent as the subprotocol, as masto does) from the instance served on loopback. An account
she follows posts: the `update` arrives, decoded by masto; a post of an account she does not follow never does.

masto comes from tests/interop/masto (pinned by its package-lock.json; `npm ci --prefix tests/interop/masto`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

import pytest

from tests.api.streaming_client import served, token
from tests.api.world import note
from tests.backing import clean_env
from tests.components import MASTO_DIR
from tests.federation.helpers import act, make_user
from tests.support import Network
from tests.web.panel_client import PASSWORD

pytestmark = [pytest.mark.requires("masto")]


class MastoStream:
    """`node stream.mjs`: one masto streaming client, its events read as JSON lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def next(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            assert self.process.stderr is not None
            raise AssertionError(f"masto exited: {(await self.process.stderr.read()).decode()}")
        return json.loads(line)


async def _masto(base: str, access_token: str) -> MastoStream:
    node = shutil.which("node")
    assert node is not None
    process = await asyncio.create_subprocess_exec(
        node, "stream.mjs", base, access_token, "user", "60", cwd=MASTO_DIR, env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return MastoStream(process)


async def test_masto_hears_an_update_when_a_followed_account_posts(network: Network) -> None:
    art = await network.add("art.test")
    for name in ("alice", "dave", "carol"):
        await make_user(art, name, password=PASSWORD)
    await act(art, "follow", "dave", "alice@art.test")
    async with served(art) as base:
        stream = await _masto(base, await token(art, "dave"))
        try:
            assert await stream.next(30) == {"event": "ready"}
            await note(art, "carol", "Nobody dave follows")
            posted: list[int] = []
            event: dict[str, Any] | None = None
            for attempt in range(8):  # masto subscribes right after the socket opens: post until it listens
                posted.append(await note(art, "alice", f"Fresh ink, take {attempt}"))
                try:
                    event = await stream.next(2.5)
                    break
                except TimeoutError:
                    continue
            assert event is not None, "no update reached masto"
            assert event["event"] == "update" and event["stream"] == ["user"], event
            status = event["payload"]  # decoded by masto, keys camel-cased as apps see them
            assert int(status["id"]) in posted
            assert status["account"]["username"] == "alice" and status["visibility"] == "public"
            assert "Fresh ink" in status["content"] and status["createdAt"].endswith("Z")

            # now that masto surely listens: a post of someone dave does not follow never comes, the next of
            # alice's does (and is the very next event)
            await note(art, "carol", "Still nobody dave follows")
            later = await note(art, "alice", "Another study", visibility="followers")
            while True:
                event = await stream.next(10)
                if int(event["payload"]["id"]) not in posted:  # a retried post may still be on its way
                    break
            assert event["payload"]["id"] == str(later) and event["payload"]["visibility"] == "private"
        finally:
            if stream.process.returncode is None:
                stream.process.terminate()
            await stream.process.wait()
