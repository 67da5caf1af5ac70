"""Bytes from the network -> a JSON object, with size and nesting limits.

Why: every remote body passes through here before anything reads it, so a hostile peer
cannot make us parse 100 MB, recurse 100 000 levels deep in later code, or hand a list
where an object is expected. Pure: orjson only.
"""

from __future__ import annotations

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
    return value


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
