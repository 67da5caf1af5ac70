"""Mastodon's streaming API: `/api/v1/streaming` over a WebSocket, and its health check.

A client connects with its token (`Authorization: Bearer`, `?access_token=` or `Sec-WebSocket-Protocol`,
which is echoed back as the accepted subprotocol), names a stream with `?stream=` (and `tag=`) and/or sends
`{"type": "subscribe"|"unsubscribe", "stream": ..., "tag": ...}`, and then receives
`{"stream": [...], "event": "update"|"status.update"|"delete"|"notification", "payload": "<JSON text>"}`.

Events come from the runtime's stream bus (services/stream_bus.py: committed rows only, from every process);
each connection asks services/stream_events.py whether an event belongs in one of its streams for its viewer
and renders the Status for that viewer, so what it hears is exactly what the timeline would show her.
A bad token is refused before the upgrade (401); a bad message gets an error message, never a closed socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.responses import PlainTextResponse, Response
from starlette.requests import Request
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fediverse.api import entities
from fediverse.api import scopes as scope_rules
from fediverse.api.auth import INVALID_TOKEN, OUT_OF_SCOPE, grant_of, websocket_protocol
from fediverse.api.params import routes as both_routes
from fediverse.db.stream_events import DELETE, NOTIFICATION, Event
from fediverse.services import listings
from fediverse.services import stream_events as rules
from fediverse.services.oauth import Grant
from fediverse.services.stream_bus import Listener
from fediverse.services.stream_events import Stream
from fediverse.web.context import runtime_of
from fediverse.web.responses import error

log = logging.getLogger("fediverse.streaming")

MAX_SUBSCRIPTIONS = 32
MAX_MESSAGE = 4096  # a subscribe message is a few dozen bytes


class StreamError(Exception):
    """A subscription the client may not have (answered on the socket with Mastodon's error message)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


def _stream(grant: Grant, name: Any, tag: Any) -> Stream:
    """The subscription named by a query or a message, checked against the token."""
    if not isinstance(name, str) or name not in rules.STREAMS:
        raise StreamError("Unknown stream type")
    if name in (rules.HASHTAG, rules.HASHTAG_LOCAL):
        if not isinstance(tag, str) or not tag.strip().lstrip("#"):
            raise StreamError("No tag for stream provided")
        return Stream(name, tag.strip().lstrip("#")[:100])
    if name in rules.SIGNED_IN:
        if grant.user is None:
            raise StreamError("This method requires an authenticated user", 422)
        needed = "read:notifications" if name == rules.USER_NOTIFICATION else "read:statuses"
        if not scope_rules.allows(grant.scopes, needed):
            raise StreamError(OUT_OF_SCOPE, 403)
    return Stream(name)


async def _refuse(websocket: WebSocket, status: int, message: str) -> None:
    """Refuse the upgrade with a JSON answer where the server can send one (uvicorn can), else close."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        response = error(status, message)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=4000 + status)


async def stream(websocket: WebSocket) -> None:
    rt = runtime_of(websocket)  # type: ignore[arg-type]
    async with rt.sessions() as session:
        grant = await grant_of(websocket, session)
    if grant is None:
        await _refuse(websocket, 401, INVALID_TOKEN)
        return
    subscriptions: set[Stream] = set()
    first = websocket.query_params.get("stream")
    try:
        if first is not None:
            subscriptions.add(_stream(grant, first, websocket.query_params.get("tag")))
    except StreamError as exc:
        await _refuse(websocket, exc.status, str(exc))
        return
    listener = await rt.streams.listen()
    try:
        await websocket.accept(subprotocol=websocket_protocol(websocket))
        await _serve(websocket, grant, subscriptions, listener)
    except WebSocketDisconnect:
        pass
    finally:
        rt.streams.leave(listener)


async def _serve(websocket: WebSocket, grant: Grant, subscriptions: set[Stream], listener: Listener) -> None:
    """Until the client goes: its messages change the subscriptions, the bus's events go out to it."""
    receiver = asyncio.create_task(_receive(websocket, grant, subscriptions))
    try:
        while not receiver.done():
            getter = asyncio.ensure_future(listener.get())
            done, _pending = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            item = getter.result()
            try:
                messages = await _messages(websocket, grant, subscriptions, item)
            except Exception:  # noqa: BLE001 - one event that cannot be rendered (database trouble) is skipped
                log.exception("stream event %s %s not rendered", item.kind, item.id)
                continue
            for message in messages:
                await websocket.send_text(message)
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)


async def _receive(websocket: WebSocket, grant: Grant, subscriptions: set[Stream]) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None and message.get("bytes") is not None:
            text = message["bytes"].decode("utf-8", "replace")
        reply = _apply(grant, subscriptions, text or "")
        if reply is not None:
            await websocket.send_text(json.dumps(reply))


def _apply(grant: Grant, subscriptions: set[Stream], text: str) -> dict[str, Any] | None:
    """One client message: subscribe or unsubscribe; anything else is answered with an error."""
    try:
        if len(text) > MAX_MESSAGE:
            raise StreamError("Message too long")
        try:
            doc = json.loads(text)
        except ValueError:
            raise StreamError("Could not parse message") from None
        if not isinstance(doc, dict) or doc.get("type") not in ("subscribe", "unsubscribe"):
            raise StreamError("Unknown message type")
        wanted = _stream(grant, doc.get("stream"), doc.get("tag"))
        if doc["type"] == "unsubscribe":
            subscriptions.discard(wanted)
        elif wanted not in subscriptions:
            if len(subscriptions) >= MAX_SUBSCRIPTIONS:
                raise StreamError("Too many subscriptions")
            subscriptions.add(wanted)
    except StreamError as exc:
        return {"error": str(exc), "status": exc.status}
    return None


def _message(label: Stream, event: str, payload: Any) -> str:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return json.dumps({"stream": label.label(), "event": event, "payload": text})


async def _messages(websocket: WebSocket, grant: Grant, subscriptions: set[Stream], item: Event) -> list[str]:
    """What this connection sends for one event: one message per subscribed stream it belongs in."""
    if not subscriptions:
        return []
    viewer = grant.user.account if grant.user is not None else None
    rt = runtime_of(websocket)  # type: ignore[arg-type]
    settings = rt.settings
    out: list[str] = []
    async with rt.sessions() as session:
        if item.kind == DELETE:
            viewer_id = viewer.id if viewer is not None else None
            return [_message(s, DELETE, str(item.id)) for s in sorted(subscriptions, key=Stream.label)
                    if await rules.hears_deletion(session, s, viewer_id, item)]
        if item.kind == NOTIFICATION:
            mine = [s for s in subscriptions if s.name in rules.SIGNED_IN]
            notified = await rules.notification_for(session, viewer, item) if mine and viewer else None
            if notified is None:
                return []
            extras = await listings.extras(session, [notified.item] if notified.item else [], [notified.row.actor])
            shown = entities.status(settings, notified.item, extras) if notified.item else None
            actor = entities.account(settings, notified.row.actor, extras.stats.get(notified.row.actor_id))
            doc = entities.notification(settings, notified.row, actor, shown)
            return [_message(s, NOTIFICATION, doc) for s in sorted(mine, key=Stream.label)]
        for subscription in sorted(subscriptions, key=Stream.label):
            if subscription.name == rules.USER_NOTIFICATION:
                continue
            found = await rules.item_in(session, subscription, viewer, item.id)
            if found is not None:
                extras = await listings.extras(session, [found])
                out.append(_message(subscription, item.kind, entities.status(settings, found, extras)))
    return out


def routes() -> list[BaseRoute]:
    return [
        *both_routes("/api/v1/streaming/health", health),
        WebSocketRoute("/api/v1/streaming", stream),
        WebSocketRoute("/api/v1/streaming/", stream),
    ]
