"""A peer server built from real recorded payloads (tests/fixtures), re-hosted with a key we hold.

The recorded documents keep every field their software sent; only host names, ids that point at
third parties, and the public key change, so that we can sign for them and address our own objects.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.activitypub.signatures.keys import generate_private_key, public_key_pem
from tests.conftest import FIXTURES
from tests.support import Instance, Network

PEER = "masto.test"
ACTOR = f"https://{PEER}/users/brauca_darradiul"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def rehost(doc: dict[str, Any], *, object_uri: str | None = None, keep_object: bool = False) -> dict[str, Any]:
    """Make a recorded activity come from our peer actor: actor, id host and (optionally) object rewritten."""
    out = {k: v for k, v in doc.items() if k not in ("signature", "nickname")}
    path = str(doc["id"]).split("/", 3)[3] if str(doc["id"]).count("/") >= 3 else "x"
    out["id"] = f"https://{PEER}/{path}"
    out["actor"] = ACTOR
    if object_uri is not None and not keep_object:
        out["object"] = object_uri
    return out


class FixturePeer:
    """Serves the re-hosted Mastodon actor fixture and records what arrives in its inboxes."""

    def __init__(self) -> None:
        self.key = generate_private_key()
        text = (FIXTURES / "mastodon/actor_person_activitypub_academy.json").read_text()
        self.actor = json.loads(text.replace("activitypub.academy", PEER))
        self.actor["publicKey"]["publicKeyPem"] = public_key_pem(self.key)
        self.received: list[tuple[str, dict[str, str], bytes]] = []

    def install(self, network: Network) -> FixturePeer:
        network.apps[PEER] = httpx.ASGITransport(app=self.app())
        return self

    def app(self) -> Starlette:
        async def actor(request: Request) -> Response:
            return Response(orjson.dumps(self.actor), media_type="application/activity+json")

        async def inbox(request: Request) -> Response:
            self.received.append((str(request.url), dict(request.headers), await request.body()))
            return Response(status_code=202)

        path = "/users/brauca_darradiul"
        return Starlette(routes=[Route(path, actor), Route(f"{path}/inbox", inbox, methods=["POST"]),
                                 Route("/inbox", inbox, methods=["POST"])])

    def activities(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _url, _headers, body in self.received]

    async def post(self, instance: Instance, path: str, doc: dict[str, Any]) -> int:
        body = orjson.dumps(doc)
        url = f"{instance.base}{path}"
        headers = {"Content-Type": "application/activity+json"}
        headers |= sign_cavage("POST", url, headers, body, self.actor["publicKey"]["id"], self.key)
        async with instance.client() as client:
            return (await client.post(path, content=body, headers=headers)).status_code
