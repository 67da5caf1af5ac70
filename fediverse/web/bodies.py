"""Reading a request body with a size cap: the one reader behind the panel's forms and the client API's
parameters and uploads. The cap holds whether or not a Content-Length was sent (a chunked body is counted as it
arrives), so nothing past it is buffered or parsed; a malformed form or a client that went away is a clear error.
Each edge turns the two errors into its own answer (the panel's page, the API's JSON), both with 413 and 400."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message


class BodyTooLarge(Exception):
    """The body is larger than `limit` bytes (declared or counted)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is too large: at most {limit} bytes")
        self.limit = limit


class BodyUnreadable(Exception):
    """The body could not be read: a malformed form, or the client went away before sending it."""


def capped(request: Request, limit: int) -> Request:
    """The same request, whose body reads raise BodyTooLarge past `limit` bytes (parse from this one)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge(limit)
    received = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return Request(request.scope, receive=counted)


async def read_body(request: Request) -> bytes:
    """The raw body of a capped request (see `capped`)."""
    try:
        return await request.body()
    except ClientDisconnect:
        raise BodyUnreadable("the request body was not received") from None


async def read_form(request: Request, *, max_files: int, max_fields: int = 200) -> FormData:
    """The urlencoded or multipart form of a capped request (see `capped`); the caller closes its files."""
    try:
        return await request.form(max_files=max_files, max_fields=max_fields)
    except BodyTooLarge:
        raise
    except ClientDisconnect:
        raise BodyUnreadable("the request body was not received") from None
    except Exception as exc:  # Starlette and python-multipart raise several types for malformed forms
        detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or "the form is malformed"
        raise BodyUnreadable(str(detail)) from None
