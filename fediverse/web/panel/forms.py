"""Reading panel POSTs safely: same-origin check, size cap before parsing, CSRF token after."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from fediverse.web import bodies
from fediverse.web.context import runtime_of

SMALL_FORM_BYTES = 256 * 1024
MULTIPART_MARGIN = 1024 * 1024  # room for the text fields and multipart boundaries
CSRF_FIELD = "csrf_token"


class PanelError(Exception):
    """A request the panel refuses, with the status and a sentence the person can act on."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    session = request.session
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_origin(request: Request) -> None:
    """Refuse POSTs sent by another site (Origin, or Sec-Fetch-Site when a browser sends no Origin)."""
    base = runtime_of(request).settings.base_url
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.rstrip("/").lower() != base.lower():
            raise PanelError(403, f"This form was sent from {origin[:200]}, not from {base}. "
                                  f"Forms only work on {base} itself; open the page there and try again.")
        return
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise PanelError(403, f"This form was sent from another site. Open {base} and try again.")


async def read_form(request: Request, *, max_bytes: int = SMALL_FORM_BYTES, max_files: int = 0) -> FormData:
    """Origin, size and CSRF checks, then the parsed form (the caller closes its files)."""
    check_origin(request)
    try:
        form = await bodies.read_form(bodies.capped(request, max_bytes), max_files=max_files)
    except bodies.BodyTooLarge:
        raise PanelError(413, f"This request is too large: at most {human_size(max_bytes)} can be sent at once.") from None
    except bodies.BodyUnreadable as exc:
        raise PanelError(400, f"The form could not be read: {exc}") from None
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        await form.close()
        raise PanelError(403, "This form has expired or did not come from this site (the security token is "
                              "missing or wrong). Go back, reload the page and send it again.")
    return form


def text(form: FormData, name: str, *, limit: int = 100_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def flag(form: FormData, name: str) -> bool:
    return text(form, name) in ("1", "on", "true", "yes")


def upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    if isinstance(value, UploadFile) and (value.filename or value.size):
        return value
    return None


def multipart_limit(settings: Any, files: int) -> int:
    return files * settings.media.max_upload_bytes + MULTIPART_MARGIN


def human_size(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(n / 1024))} KB"
