"""Panel sessions, fast: a forged, stale or foreign cookie signs nobody in; the cookie is HttpOnly, SameSite=Lax
and __Host-/Secure on https; the server-side row ends the session when it is deleted, idle or too old, and one
account can never end another's. Unit tests of web/panel/sessions.py and services/web_sessions.py (the
full-app tests are tests/web/test_sessions.py and test_auth.py)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import AsyncIterator

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fediverse.config import Settings
from fediverse.models import WebSession
from fediverse.models.base import Base
from fediverse.services import web_sessions
from fediverse.web.panel.sessions import (
    IDLE_SECONDS,
    MAX_AGE_SECONDS,
    MAX_COOKIE_CHARS,
    REFRESH_SECONDS,
    PanelSessionMiddleware,
    SessionCodec,
    is_panel_path,
    panel_state,
)

NOW = 1_900_000_000.0
CODEC = SessionCodec(b"s" * 48)


def _cookie(**data: object) -> str:
    return CODEC.encode({"uid": 7, "iat": NOW, "seen": NOW} | data)


def test_a_cookie_reads_back_only_with_the_key_that_signed_it() -> None:
    value = _cookie()
    assert CODEC.decode(value, NOW) == {"uid": 7, "iat": NOW, "seen": NOW}
    assert SessionCodec(b"t" * 48).decode(value, NOW) is None


def test_a_changed_body_or_signature_signs_nobody_in() -> None:
    body, mac = _cookie().split(".")
    other = base64.urlsafe_b64encode(orjson.dumps({"uid": 1, "iat": NOW, "seen": NOW})).rstrip(b"=").decode()
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    for forged in (f"{other}.{mac}", f"{body}.{flipped}", f"{body}.", f".{mac}", body, ""):
        assert CODEC.decode(forged, NOW) is None, forged


def test_a_signed_cookie_that_is_not_a_live_session_is_refused() -> None:
    for data in ([1, 2], {"uid": 7}, {"uid": 7, "iat": NOW, "seen": "now"}, {"uid": 7, "iat": "x", "seen": NOW}):
        body = base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()
        assert CODEC.decode(f"{body}.{CODEC.encode(data).split('.')[1]}", NOW) is None, data
    assert CODEC.decode(_cookie(pad="x" * 4000), NOW) is None  # longer than any cookie we write


def test_a_cookie_of_any_length_reads_back() -> None:
    # base64 without its "=" padding: every body length the encoder can produce must decode again
    for n in range(12):
        assert CODEC.decode(_cookie(flash="x" * n), NOW) == {"uid": 7, "iat": NOW, "seen": NOW, "flash": "x" * n}, n


def test_a_cookie_up_to_the_size_limit_is_read_and_a_longer_one_refused() -> None:
    sized = {len(_cookie(pad="x" * n)): _cookie(pad="x" * n) for n in range(2500, 2650)}
    assert CODEC.decode(sized[MAX_COOKIE_CHARS], NOW) is not None
    assert CODEC.decode(sized[MAX_COOKIE_CHARS + 2], NOW) is None
    # one character over, still validly signed: the base64 signature reads the same with a "=" after it
    assert CODEC.decode(sized[MAX_COOKIE_CHARS] + "=", NOW) is None


def test_a_signature_that_is_not_base64_signs_nobody_in() -> None:
    body = _cookie().split(".")[0]
    for mac in ("AAAAA", "A", "%%%%", "\u00e9t\u00e9"):
        assert CODEC.decode(f"{body}.{mac}", NOW) is None, mac


def test_a_session_ends_when_idle_or_too_old_and_cannot_be_dated_ahead() -> None:
    assert CODEC.decode(_cookie(seen=NOW - IDLE_SECONDS), NOW) is not None
    assert CODEC.decode(_cookie(seen=NOW - IDLE_SECONDS - 1), NOW) is None
    assert CODEC.decode(_cookie(iat=NOW - MAX_AGE_SECONDS), NOW) is not None
    assert CODEC.decode(_cookie(iat=NOW - MAX_AGE_SECONDS - 1), NOW) is None
    assert CODEC.decode(_cookie(seen=NOW + 300), NOW) is not None  # a little clock skew is fine
    assert CODEC.decode(_cookie(seen=NOW + 301), NOW) is None


def test_the_password_fingerprint_changes_with_the_password() -> None:
    one, same, other = (CODEC.password_fingerprint(h) for h in ("$argon2id$a", "$argon2id$a", "$argon2id$b"))
    assert one == same != other
    assert len(one) == 32
    assert CODEC.password_fingerprint(None) == CODEC.password_fingerprint("")
    assert SessionCodec(b"t" * 48).password_fingerprint("$argon2id$a") != one


def test_only_panel_paths_are_panel_paths() -> None:
    assert all(is_panel_path(p) for p in ("/login", "/studio", "/studio/works/1", "/admin/reports", "/signup"))
    assert not any(is_panel_path(p) for p in ("/studiox", "/", "/@ana", "/loginx/studio", "/users/studio"))


# The middleware, in front of a small app that reads and writes the session.

async def _show(request: Request) -> Response:
    return JSONResponse(dict(request.scope.get("session", {})))


async def _sign_in(request: Request) -> Response:
    request.session["uid"] = 7
    return JSONResponse({})


async def _flash(request: Request) -> Response:
    request.session["flash"] = "Saved."
    return JSONResponse({})


async def _read_flash(request: Request) -> Response:
    return JSONResponse({"flash": request.session.pop("flash", None)})


async def _sign_out(request: Request) -> Response:
    request.session.clear()
    return JSONResponse({})


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _client(tmp_path: Path, scheme: str, clock: _Clock) -> tuple[httpx.AsyncClient, PanelSessionMiddleware]:
    settings = Settings().replace(instance={"domain": "art.example", "scheme": scheme},
                                  server={"secret_key_file": str(tmp_path / "secret.key")})
    routes = [Route(p, f) for p in ("/studio", "/@ana", "/login") for f in [_show]]
    app = Starlette(routes=[Route("/studio/in", _sign_in), Route("/studio/out", _sign_out),
                            Route("/studio/flash", _flash), Route("/studio/read-flash", _read_flash), *routes])
    middleware = PanelSessionMiddleware(app, settings, clock=clock)
    return httpx.AsyncClient(transport=httpx.ASGITransport(middleware), base_url=f"{scheme}://art.example"), middleware


async def test_the_cookie_is_httponly_lax_and_host_bound_on_https(tmp_path: Path) -> None:
    client, _ = _client(tmp_path, "https", _Clock())
    async with client:
        cookie = (await client.get("/studio/in")).headers["set-cookie"]
    assert cookie.startswith("__Host-session=")
    assert set(cookie.split("; ")[1:]) == {"Path=/", f"Max-Age={IDLE_SECONDS}", "HttpOnly", "SameSite=Lax", "Secure"}


async def test_on_plain_http_the_cookie_is_not_marked_secure(tmp_path: Path) -> None:
    client, _ = _client(tmp_path, "http", _Clock())
    async with client:
        cookie = (await client.get("/studio/in")).headers["set-cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie


async def test_a_session_is_read_everywhere_but_written_only_on_panel_paths(tmp_path: Path) -> None:
    clock = _Clock()
    client, middleware = _client(tmp_path, "https", clock)
    async with client:
        await client.get("/studio/in")
        clock.now += REFRESH_SECONDS * 10
        public = await client.get("/@ana")
        assert public.json()["uid"] == 7
        assert "set-cookie" not in public.headers
        assert (await client.get("/studio")).json()["uid"] == 7
    assert middleware.cookie_name == "__Host-session"


async def test_an_unchanged_session_is_re_signed_at_most_once_a_minute(tmp_path: Path) -> None:
    clock = _Clock()
    client, _ = _client(tmp_path, "https", clock)
    async with client:
        await client.get("/studio/in")
        clock.now += REFRESH_SECONDS - 1
        assert "set-cookie" not in (await client.get("/studio")).headers
        clock.now += 1
        assert "set-cookie" in (await client.get("/studio")).headers
        session = (await client.get("/studio")).json()
    assert session["seen"] == int(NOW + REFRESH_SECONDS) and session["iat"] == int(NOW)


async def test_a_session_used_after_a_long_pause_is_re_signed(tmp_path: Path) -> None:
    clock = _Clock()
    client, _ = _client(tmp_path, "https", clock)
    async with client:
        await client.get("/studio/in")
        clock.now += REFRESH_SECONDS * 10
        assert "set-cookie" in (await client.get("/studio")).headers
        session = (await client.get("/studio")).json()
    assert session["seen"] == int(NOW + REFRESH_SECONDS * 10) and session["iat"] == int(NOW)


async def test_a_cookie_dated_a_little_ahead_is_not_re_signed_on_every_request(tmp_path: Path) -> None:
    clock = _Clock()
    client, _ = _client(tmp_path, "https", clock)
    async with client:
        clock.now = NOW + 200  # the server's clock ran ahead when the cookie was signed, then was set right
        await client.get("/studio/in")
        clock.now = NOW
        response = await client.get("/studio")
    assert response.json()["seen"] == int(NOW + 200) and "set-cookie" not in response.headers


async def test_a_changed_session_is_written_at_once_so_a_flash_shows_exactly_once(tmp_path: Path) -> None:
    client, _ = _client(tmp_path, "https", _Clock())  # the clock stands still: only the change re-signs
    async with client:
        await client.get("/studio/in")
        assert "set-cookie" in (await client.get("/studio/flash")).headers
        shown = await client.get("/studio/read-flash")
        assert shown.json() == {"flash": "Saved."} and "set-cookie" in shown.headers
        assert (await client.get("/studio/read-flash")).json() == {"flash": None}
        assert (await client.get("/studio")).json()["uid"] == 7


async def test_signing_out_clears_the_cookie_and_a_stranger_gets_none(tmp_path: Path) -> None:
    client, _ = _client(tmp_path, "https", _Clock())
    async with client:
        assert "set-cookie" not in (await client.get("/studio")).headers
        await client.get("/studio/in")
        cleared = (await client.get("/studio/out")).headers["set-cookie"]
        assert cleared.startswith("__Host-session=;") and "Max-Age=0" in cleared
        assert (await client.get("/studio")).json() == {}


async def test_a_cookie_signed_by_another_instance_signs_nobody_in(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ours, _ = _client(tmp_path / "a", "https", _Clock())
    theirs, _ = _client(tmp_path / "b", "https", _Clock())
    async with ours, theirs:
        await theirs.get("/studio/in")
        ours.cookies.update(theirs.cookies)
        assert (await ours.get("/studio")).json() == {}


async def test_the_app_behind_the_middleware_still_starts_and_stops(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append(dict(scope))
        await send({"type": "lifespan.startup.complete"})

    sent: list[dict[str, object]] = []

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "lifespan.startup"}

    settings = Settings().replace(server={"secret_key_file": str(tmp_path / "secret.key")})
    await PanelSessionMiddleware(app, settings, clock=_Clock())({"type": "lifespan"}, receive, send)
    assert seen == [{"type": "lifespan"}] and sent == [{"type": "lifespan.startup.complete"}]


def test_the_panel_state_is_found_only_where_the_middleware_runs() -> None:
    with pytest.raises(RuntimeError, match="not installed"):
        panel_state({"type": "http"})


# The server-side rows.

T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
async def db() -> AsyncIterator[AsyncSession]:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    await engine.dispose()


async def test_only_a_hash_of_the_token_is_kept_and_it_finds_the_session(db: AsyncSession) -> None:
    token = await web_sessions.open_session(db, 1, "Firefox" * 100, "203.0.113.9" * 10, T0)
    row = (await db.scalars(select(WebSession))).one()
    assert token not in row.token_hash and row.token_hash == web_sessions.token_hash(token)
    assert (len(row.user_agent), len(row.client_address)) == (300, 64)  # cut to fit the studio's list
    assert await web_sessions.current(db, token, T0) is row
    assert await web_sessions.current(db, token + "x", T0) is None
    assert await web_sessions.current(db, "", T0) is None
    assert await web_sessions.current(db, "x" * 201, T0) is None


async def test_a_session_row_ends_when_idle_or_too_old(db: AsyncSession) -> None:
    token = await web_sessions.open_session(db, 1, "", "", T0)
    idle = web_sessions.IDLE
    assert await web_sessions.current(db, token, T0 + idle - timedelta(seconds=1)) is not None
    assert await web_sessions.current(db, token, T0 + idle) is None
    row = await web_sessions.current(db, token, T0)
    assert row is not None
    for step in range(1, 40):  # used every 11 hours: never idle, but no session outlives MAX_AGE
        moment = T0 + timedelta(hours=11 * step)
        alive = await web_sessions.current(db, token, moment)
        assert (alive is not None) == (moment - T0 < web_sessions.MAX_AGE), moment
        if alive is None:
            break
        assert web_sessions.touch(alive, moment)


async def test_a_session_lasts_12_idle_hours_and_at_most_14_days(db: AsyncSession) -> None:
    token = await web_sessions.open_session(db, 1, "", "", T0)
    assert await web_sessions.current(db, token, T0 + timedelta(hours=12) - timedelta(seconds=1)) is not None
    assert await web_sessions.current(db, token, T0 + timedelta(hours=12)) is None
    row = await web_sessions.current(db, token, T0)
    assert row is not None
    last_use = T0 + timedelta(days=14) - timedelta(hours=1)
    row.last_seen_at = last_use  # used every day, the last time an hour before its fourteenth day ends
    assert await web_sessions.current(db, token, last_use) is row
    assert await web_sessions.current(db, token, T0 + timedelta(days=14) - timedelta(seconds=1)) is row
    assert await web_sessions.current(db, token, T0 + timedelta(days=14)) is None


async def test_last_seen_is_written_at_most_once_a_minute(db: AsyncSession) -> None:
    token = await web_sessions.open_session(db, 1, "", "", T0)
    row = await web_sessions.current(db, token, T0)
    assert row is not None
    assert not web_sessions.touch(row, T0 + timedelta(seconds=59))
    assert row.last_seen_at == T0
    assert web_sessions.touch(row, T0 + timedelta(seconds=60))
    assert row.last_seen_at == T0 + timedelta(seconds=60)


async def test_the_studio_lists_live_sessions_most_recent_first(db: AsyncSession) -> None:
    old = await web_sessions.open_session(db, 1, "old", "", T0)
    new = await web_sessions.open_session(db, 1, "new", "", T0 + timedelta(hours=1))
    await web_sessions.open_session(db, 2, "someone else", "", T0)
    await web_sessions.open_session(db, 1, "stale", "", T0 - web_sessions.IDLE)
    rows = await web_sessions.active(db, 1, T0 + timedelta(hours=2))
    assert [r.user_agent for r in rows] == ["new", "old"]
    assert [r.user_agent for r in await web_sessions.active(db, 2, T0 + timedelta(hours=2))] == ["someone else"]
    assert await web_sessions.active(db, 3, T0) == []
    assert old != new


async def test_ending_sessions_never_reaches_another_account(db: AsyncSession) -> None:
    mine = await web_sessions.open_session(db, 1, "mine", "", T0)
    other_mine = await web_sessions.open_session(db, 1, "laptop", "", T0)
    theirs = await web_sessions.open_session(db, 2, "theirs", "", T0)
    their_row = await web_sessions.current(db, theirs, T0)
    assert their_row is not None
    assert not await web_sessions.end_one(db, 1, their_row.id)
    assert await web_sessions.current(db, theirs, T0) is not None
    mine_row = await web_sessions.current(db, mine, T0)
    assert mine_row is not None
    assert not await web_sessions.end_one(db, 2, mine_row.id)  # nor the other way round
    assert await web_sessions.current(db, mine, T0) is not None
    tablet = await web_sessions.open_session(db, 1, "tablet", "", T0)  # opened after the laptop
    laptop = await web_sessions.current(db, other_mine, T0)
    assert laptop is not None and await web_sessions.end_one(db, 1, laptop.id)
    assert await web_sessions.current(db, other_mine, T0) is None
    assert await web_sessions.current(db, tablet, T0) is not None  # only the one session asked for
    await web_sessions.end(db, tablet)
    await web_sessions.open_session(db, 1, "phone", "", T0)
    assert await web_sessions.end_all(db, 1, keep_token=mine) == 1
    assert await web_sessions.current(db, mine, T0) is not None
    await web_sessions.end(db, mine)
    assert await web_sessions.current(db, mine, T0) is None
    assert await web_sessions.current(db, theirs, T0) is not None
    assert await web_sessions.end_all(db, 2) == 1
    assert await web_sessions.end_all(db, 2) == 0  # nothing left to end


async def _three_sessions(db: AsyncSession, account_id: int) -> tuple[list[str], str]:
    """Three sessions of one account, and the one whose hash lies between the other two's (so that ending it, or
    all but it, shows that the rows are matched by their hash, never ordered by it)."""
    tokens = [await web_sessions.open_session(db, account_id, str(n), "", T0) for n in range(3)]
    return tokens, sorted(tokens, key=web_sessions.token_hash)[1]


async def _alive(db: AsyncSession, tokens: list[str]) -> list[str]:
    return [t for t in tokens if await web_sessions.current(db, t, T0) is not None]


async def test_logging_out_everywhere_else_keeps_only_this_browser(db: AsyncSession) -> None:
    theirs = await web_sessions.open_session(db, 1, "another account", "", T0)
    tokens, here = await _three_sessions(db, 2)
    assert await web_sessions.end_all(db, 2, keep_token=here) == 2
    assert await _alive(db, tokens) == [here]
    assert await _alive(db, [theirs]) == [theirs]


async def test_logging_out_ends_only_this_browser(db: AsyncSession) -> None:
    tokens, here = await _three_sessions(db, 1)
    await web_sessions.end(db, here)
    assert await _alive(db, tokens) == [t for t in tokens if t != here]


async def test_housekeeping_prunes_only_dead_sessions(db: AsyncSession) -> None:
    live = await web_sessions.open_session(db, 1, "", "", T0)
    await web_sessions.open_session(db, 1, "", "", T0 - web_sessions.IDLE)
    await web_sessions.open_session(db, 1, "", "", T0 - web_sessions.IDLE - timedelta(hours=3))  # long idle
    used = await web_sessions.open_session(db, 1, "", "", T0 - web_sessions.MAX_AGE)
    row = await db.scalar(select(WebSession).where(WebSession.token_hash == web_sessions.token_hash(used)))
    assert row is not None
    row.last_seen_at = T0 - timedelta(hours=1)  # recently used, but too old
    older = await web_sessions.open_session(db, 1, "", "", T0 - web_sessions.MAX_AGE - timedelta(days=1))
    row = await db.scalar(select(WebSession).where(WebSession.token_hash == web_sessions.token_hash(older)))
    assert row is not None
    row.last_seen_at = T0 - timedelta(hours=1)  # recently used too, and older still
    assert await web_sessions.prune(db, T0) == 4
    assert await web_sessions.current(db, live, T0) is not None
    assert await web_sessions.prune(db, T0) == 0
