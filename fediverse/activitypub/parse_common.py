"""Checks every parser in activitypub/ shares: a document is a dict with an http(s) id, a printable type,
bounded text, and ids that are http(s) URLs. Each failure is a ParseError saying exactly why."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fediverse.activitypub.vocab import (
    AS_CONTEXT,
    MAX_TYPE_CHARS,
    PUBLIC_ALIASES,
    AS_PUBLIC,
    ParseError,
    first_of,
    is_http_url,
    ref_of,
    type_of,
)


def object_id(value: Any) -> str | None:
    """The http(s) id a property points at: a string, `{"id": …}`, or the first of a list."""
    ref = ref_of(value)
    return ref if is_http_url(ref) else None


def has_as_context(doc: Any) -> bool:
    """Mastodon's `supported_context?`: the AS2 URL is the @context or an element of it."""
    if not isinstance(doc, dict):
        return False
    context = doc.get("@context")
    if isinstance(context, list):
        return AS_CONTEXT in context
    return context == AS_CONTEXT


def require_dict(doc: Any, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ParseError(f"{what} must be a JSON object, not {json_kind(doc)}")
    return doc


def require_context(doc: dict[str, Any], embedded: bool = False) -> None:
    if not embedded and not has_as_context(doc):
        raise ParseError(f"unsupported JSON-LD context: @context must contain {AS_CONTEXT}")


def require_id(doc: dict[str, Any], what: str) -> str:
    value = doc.get("id")
    if value is None:
        raise ParseError(f"{what} has no id")
    if not is_http_url(value):
        raise ParseError(f"{what} id must be an absolute http(s) URL")
    return value


def require_type(doc: dict[str, Any], what: str) -> str:
    value = type_of(doc.get("type"))
    if value is None:
        raise ParseError(f"{what} has no type")
    if len(value) > MAX_TYPE_CHARS or not value.isprintable():
        raise ParseError(f"{what} type is not a plausible name")
    return value


def json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def bounded_text(value: Any, limit: int) -> str:
    """Display text: strings only, NULs removed (PostgreSQL refuses them), truncated like Mastodon."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:limit]


def optional_datetime(value: Any) -> datetime | None:
    """ISO 8601 timestamps; a missing zone means UTC; anything unreadable is None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def collection_uri(value: Any) -> str | None:
    """Mastodon's `valid_collection_uri`: a string, the first of an array, or `{id}`."""
    value = first_of(value)
    if isinstance(value, dict):
        value = value.get("id")
    return value if is_http_url(value) else None


def id_list(value: Any, limit: int) -> tuple[str, ...]:
    ids: list[str] = []
    for item in as_list(value):
        ref = item.get("id") if isinstance(item, dict) else item
        if is_http_url(ref) and ref not in ids:
            ids.append(ref)
        if len(ids) >= limit:
            break
    return tuple(ids)


def audience_ids(value: Any) -> tuple[str, ...]:
    """to/cc as a tuple of ids; `as:Public`/`Public` become the full URI, junk entries are dropped."""
    result: list[str] = []
    for item in as_list(value):
        ref = item.get("id") if isinstance(item, dict) else item
        if isinstance(ref, str) and ref in PUBLIC_ALIASES:
            ref = AS_PUBLIC
        if is_http_url(ref) and ref not in result:
            result.append(ref)
    return tuple(result)
