"""Bytes from the network -> a JSON object, with size and nesting limits.

Why: every remote body passes through here before anything reads it, so a hostile peer
cannot make us parse 100 MB, recurse 100 000 levels deep in later code, or hand a list
where an object is expected. Pure: orjson only.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from fediverse.activitypub.vocab import ParseError

# Mastodon caps inbox bodies and fetched documents at 1 MB (interop doc §9).
MAX_BODY_BYTES = 1024 * 1024
# Real documents nest < 10 levels (PeerTube's Video is the deepest we know); 64 is generous.
MAX_DEPTH = 64

_CONTAINERS = (dict, list)


def load_json(body: bytes, *, max_bytes: int, max_depth: int) -> dict[str, Any]:
    """Decode a UTF-8 JSON body that must be an object; ParseError says why it was refused."""
    if len(body) > max_bytes:
        raise ParseError(f"body is larger than {max_bytes} bytes")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"body is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ParseError("top-level JSON must be an object")
    check_depth(value, max_depth)
    check_unique_keys(body)
    return value


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> None:
    if len(pairs) > 1 and len({key for key, _value in pairs}) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)


def check_unique_keys(body: bytes) -> None:
    """Refuse an object with the same key twice, at any depth: parsers disagree on which value wins (orjson and
    Python take the last, others the first), so a signed or checked value could differ from the one acted on.

    orjson has no hook for this, so the body (already known to be valid, shallow JSON) is scanned once more by
    the C scanner of json.loads with an object_pairs_hook that builds nothing."""
    try:
        json.loads(body, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as exc:
        raise ParseError(f"JSON object has the key {str(exc)[:100]!r} twice") from None


def check_depth(value: Any, max_depth: int) -> None:
    """Refuse JSON nested deeper than `max_depth` containers (the top-level object is depth 1).

    Walks level by level with a plain list, never recursing, so depth costs nothing on the
    Python stack and each container is visited once."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            raise ParseError(f"JSON nesting deeper than {max_depth}")
        level = _children(level)


def _children(level: list[Any]) -> list[Any]:
    found: list[Any] = []
    for node in level:
        items = node.values() if type(node) is dict else node
        found.extend([item for item in items if type(item) in _CONTAINERS])
    return found
