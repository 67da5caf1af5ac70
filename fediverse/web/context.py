"""What a request handler can reach: the process's Runtime, put on the app's state at startup (app.py)."""

from __future__ import annotations

from starlette.requests import Request

from fediverse.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    """The runtime serving ``request`` (settings, sessions, clients, job backend …)."""
    runtime: Runtime = request.app.state.runtime
    return runtime
