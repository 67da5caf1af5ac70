"""Bundled JSON-LD @context documents and a pyld document loader that never touches the network.

Why: a remote document's @context URLs are attacker-chosen; fetching them at run time would
let any peer make us issue requests (and stall on them). We serve the handful of contexts the
fediverse really uses from files shipped with the package and refuse every other URL.
Pure: reads only files next to this module.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

from fediverse.activitypub.vocab import ParseError

_DIR = Path(__file__).resolve().parent

# Canonical context URL -> file in this folder (sources: README.md here).
BUNDLED: dict[str, str] = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.json",
    "https://w3id.org/security/v1": "security-v1.json",
    "https://w3id.org/security/v2": "security-v2.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.json",
    "https://w3id.org/identity/v1": "identity-v1.json",
    "https://purl.archive.org/socialweb/webfinger": "webfinger.json",
    "https://gotosocial.org/ns": "gotosocial.json",
    "https://funkwhale.audio/ns": "funkwhale.json",
}

# Spellings seen in the wild for the same documents (old Mastodon/Pleroma wrote http://).
ALIASES: dict[str, str] = {
    "http://www.w3.org/ns/activitystreams": "https://www.w3.org/ns/activitystreams",
    "https://www.w3.org/ns/activitystreams.jsonld": "https://www.w3.org/ns/activitystreams",
    "http://w3id.org/security/v1": "https://w3id.org/security/v1",
    "http://w3id.org/security/v2": "https://w3id.org/security/v2",
    "http://w3id.org/identity/v1": "https://w3id.org/identity/v1",
    "http://gotosocial.org/ns": "https://gotosocial.org/ns",
    "http://funkwhale.audio/ns": "https://funkwhale.audio/ns",
}

# Pleroma/Akkoma serve one LitePub context from every instance, at this path.
LITEPUB_PATH = "/schemas/litepub-0.1.jsonld"
LITEPUB_FILE = "litepub-0.1.json"


def bundled_file(url: str) -> str | None:
    """The bundled file serving `url`, or None if we do not ship that context."""
    if not isinstance(url, str):
        return None
    url = urldefrag(url).url
    url = ALIASES.get(url, url)
    if url in BUNDLED:
        return BUNDLED[url]
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and parts.path == LITEPUB_PATH and not parts.query:
        return LITEPUB_FILE
    return None


def is_bundled(url: str) -> bool:
    """True when `url` can be resolved without the network."""
    return bundled_file(url) is not None


def load_context(url: str) -> dict[str, Any]:
    """A fresh copy of the bundled document for `url`; ParseError if it is not bundled."""
    name = bundled_file(url)
    if name is None:
        raise ParseError(f"JSON-LD context {str(url)[:200]} is not bundled (contexts are never fetched)")
    return copy.deepcopy(_read(name))


@cache
def _read(name: str) -> dict[str, Any]:
    return json.loads((_DIR / name).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld `documentLoader`: bundled contexts only; anything else raises JsonLdError."""
    name = bundled_file(url)
    if name is None:
        from pyld.jsonld import JsonLdError  # lazy: pyld drags in requests, needed only for JSON-LD work

        raise JsonLdError(
            f"JSON-LD context {str(url)[:200]} is not bundled; remote contexts are never fetched",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(_read(name)),
    }


def expand(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON-LD expansion with bundled contexts only; ParseError names the context we lack."""
    from pyld import jsonld  # lazy, see document_loader

    try:
        return jsonld.expand(doc, {"documentLoader": document_loader})
    except jsonld.JsonLdError as exc:
        raise ParseError(f"cannot expand JSON-LD: {_root_message(exc)}") from exc


def _root_message(exc: BaseException) -> str:
    """pyld wraps loader errors several times; the innermost message is the useful one."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "cause", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    message = exc.args[0] if exc.args else str(exc)
    return str(message)[:300]
