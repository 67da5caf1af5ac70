"""What every client API endpoint reads the same way: ids (in the path, the query or a body), booleans, numbers,
page cursors, the ``Link`` header of a paged list, and routes that also answer with a trailing slash.

Why one module: five endpoint modules each grew their own copy of these, and copies drift (one accepted
``True``, another not; one allowed 19-digit ids, another overflowed). A parameter the endpoint cannot use raises
``BadRequest``, which ``api.auth.api_view`` answers as JSON ``{"error": …}`` with its status.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Sequence
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse import snowflake
from fediverse.services import listings
from fediverse.web.context import runtime_of

NOT_FOUND = "Record not found"
# Mastodon's booleans (Rails casts these); compared lower-cased and stripped.
TRUE = frozenset({"1", "true", "on", "yes"})
FALSE = frozenset({"0", "false", "off", "no"})
PAGING = ("max_id", "min_id", "since_id")


class BadRequest(Exception):
    """A request the endpoint cannot use: answered with ``status`` (400 unless said) and the message as JSON."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- ids ------------------------------------------------------------------------------------------------------

def id_param(raw: Any, name: str, *, status: int = 400) -> int | None:
    """An id sent as a query, form or JSON value (a JSON number too): None when absent or empty; digits within
    a signed 64-bit id, else ``BadRequest(status)``."""
    if raw is None or raw == "":
        return None
    text = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    value = snowflake.parse_id(text)
    if value is None:
        raise BadRequest(f"{name} must be an id (digits)", status)
    return value


def path_id(request: Request, name: str = "id") -> int:
    """An id in the path: one that cannot be an id (not digits, zero, beyond 64 bits) names nothing, a 404."""
    value = snowflake.parse_id(str(request.path_params[name]))
    if value is None or not snowflake.is_id(value):
        raise BadRequest(NOT_FOUND, 404)
    return value


# --- booleans, numbers, text ------------------------------------------------------------------------------------

def boolean(value: Any) -> bool | None:
    """Mastodon's boolean parameter (true/false, 1/0, on/off, yes/no, any case; a JSON boolean or 0/1): None
    when ``value`` is none of these."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE:
            return True
        if word in FALSE:
            return False
    return None


def truthy(value: Any) -> bool:
    """Lenient: whether ``value`` says true; anything else (absent, empty, unknown) is false. For the OAuth and
    admin parameters, where Mastodon treats an unknown value as false."""
    return boolean(value) is True


def strict_boolean(value: Any, name: str, *, status: int = 400) -> bool | None:
    """Strict: None when absent, else a boolean or ``BadRequest(f"{name} must be true or false", status)``."""
    if value is None:
        return None
    found = boolean(value)
    if found is None:
        raise BadRequest(f"{name} must be true or false", status)
    return found


def flag(request: Request, name: str) -> bool:
    """A query boolean: false when absent or empty, a 400 when not a boolean."""
    return strict_boolean(request.query_params.get(name) or None, name) or False


def number(request: Request, name: str, default: int) -> int:
    """A query integer (``default`` when absent or empty), a 400 when not a number."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 12:
        raise BadRequest(f"{name} must be a number")
    return int(raw)


def string(params: dict[str, Any], name: str, limit: int = 2000) -> str:
    """A text parameter ('' when absent or not text; a JSON number as its digits), cut at ``limit``."""
    value = params.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value[:limit] if isinstance(value, str) else ""


def text(params: Any, name: str) -> str | None:
    """A text parameter as sent (None when absent or not text, such as an uploaded file)."""
    value = params.get(name)
    return value if isinstance(value, str) else None


# --- paging ---------------------------------------------------------------------------------------------------

def limit(request: Request, default: int = listings.DEFAULT_LIMIT, most: int = listings.MAX_LIMIT) -> int:
    """``limit``: ``default`` when absent, kept within 1..``most``; a 400 when not a number."""
    raw = request.query_params.get("limit", "")
    if raw and not raw.lstrip("-").isdigit():
        raise BadRequest("limit must be a number")
    return max(1, min(most, int(raw[:6]))) if raw else default


def cursor(request: Request, default: int = listings.DEFAULT_LIMIT, most: int = listings.MAX_LIMIT) -> listings.Cursor:
    """A list's page: ``max_id``, ``since_id``, ``min_id`` (ids, else a 400) and ``limit``."""
    q = request.query_params
    return listings.Cursor(max_id=id_param(q.get("max_id"), "max_id"), since_id=id_param(q.get("since_id"), "since_id"),
                           min_id=id_param(q.get("min_id"), "min_id"), limit=limit(request, default, most))


def link(request: Request, newest: int | None, oldest: int | None) -> dict[str, str]:
    """``Link`` to the older page (``max_id=oldest``) and the newer one (``min_id=newest``), each when given, the
    other query parameters kept. Callers pass the ids their list pages by (status, follow, report… ids)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in PAGING]
    base = f"{runtime_of(request).settings.base_url}{request.url.path}"
    parts = [f'<{base}?{urlencode([*kept, (key, str(value))])}>; rel="{rel}"'
             for key, value, rel in (("max_id", oldest, "next"), ("min_id", newest, "prev")) if value is not None]
    return {"Link": ", ".join(parts)} if parts else {}


def page_link(request: Request, ids: Sequence[int]) -> dict[str, str]:
    """``link`` of a page listed newest first (no header for an empty page)."""
    return link(request, ids[0], ids[-1]) if ids else {}


# --- routes ---------------------------------------------------------------------------------------------------

def routes(path: str, endpoint: Callable[[Request], Awaitable[Response]],
           methods: Sequence[str] = ("GET",)) -> list[Route]:
    """The path and the same with a trailing slash, without a redirect (Mastodon.py sends some so, and some
    clients do not follow a redirect)."""
    return [Route(path, endpoint, methods=list(methods)),
            Route(f"{path}/", endpoint, methods=list(methods), include_in_schema=False)]
