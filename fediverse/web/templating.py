"""Jinja2 pages with the instance's name and domain always available."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from fediverse.config import Settings
from fediverse.web import gallery
from fediverse.web.context import runtime_of
from fediverse.web.theme import theme_of

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
gallery.install(templates.env)
templates.env.globals["theme"] = theme_of(Settings())  # the default look for a page rendered without settings


def render_page(request: Request, name: str, *, link: str | None = None, status: int = 200, **context: Any) -> HTMLResponse:
    settings = runtime_of(request).settings
    response = templates.TemplateResponse(
        request, name, {"instance_name": settings.instance.name, "domain": settings.instance.domain,
                        "description": settings.instance.description, "theme": theme_of(settings), **context},
        status_code=status,
    )
    response.headers["Vary"] = "Accept"
    if link:
        response.headers["Link"] = link
    return response
