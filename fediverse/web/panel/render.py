"""Panel pages: the shared Jinja2 environment plus the session's CSRF token, flash message and strict headers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from fediverse.web.context import runtime_of
from fediverse.web.panel.forms import csrf_token
from fediverse.web.templating import templates
from fediverse.web.theme import theme_of

# Panel pages are private: never cached. The CSP, framing, nosniff and referrer headers every page of the
# site gets come from web/security_headers.py.
PANEL_HEADERS = {"Cache-Control": "no-store"}


def page(request: Request, name: str, *, status: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> HTMLResponse:
    settings = runtime_of(request).settings
    flash = request.session.pop("flash", None)
    response = templates.TemplateResponse(request, name, {
        "instance_name": settings.instance.name, "domain": settings.instance.domain,
        "description": settings.instance.description, "base_url": settings.base_url, "theme": theme_of(settings),
        "csrf_token": csrf_token(request), "flash": flash, "nav": getattr(request.state, "nav", None), **context,
    }, status_code=status)
    response.headers.update({**PANEL_HEADERS, **(headers or {})})
    return response


def redirect(request: Request, url: str, flash: str | None = None, *, kind: str = "ok") -> RedirectResponse:
    """Post/Redirect/Get with an optional one-shot message shown on the next page."""
    if flash:
        request.session["flash"] = {"kind": kind, "text": flash[:500]}
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None,
               **context: Any) -> HTMLResponse:
    titles = {400: "That did not work", 403: "Not allowed", 404: "Not found", 413: "Too large",
              429: "Too many attempts"}
    return page(request, "panel/error.html", status=status, headers=headers,
                title=titles.get(status, "Something went wrong"), message=message, **context)
