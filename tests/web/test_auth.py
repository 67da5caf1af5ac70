"""Logging in to the panel: sessions, wrong passwords, rate limits, CSRF and cross-origin refusals."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import httpx

from fediverse.db import accounts as account_db
from fediverse.services.accounts import hash_password
from fediverse.web.panel.secret import load_or_create_secret
from fediverse.web.panel.sessions import SessionCodec
from tests.federation.helpers import make_user
from tests.support import Network, StepClock
from tests.web.panel_client import PASSWORD, browser, csrf_of, login, post_form, token

COOKIE = "__Host-session"  # the instances in tests use https


async def test_artist_logs_in_with_a_secure_session_cookie_and_reaches_the_studio(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        first = await client.get("/studio")
        assert first.status_code == 303 and first.headers["location"] == "/login?next=/studio"
        response = await login(client, "alice")
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/studio"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        for attribute in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age="):
            assert attribute in cookie
        studio = await client.get("/studio")
    assert studio.status_code == 200
    assert "Your works" in studio.text and "@alice" in studio.text
    assert studio.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in studio.headers["content-security-policy"]


async def test_login_rotates_the_session_so_a_planted_cookie_is_worthless(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        before_token = await token(client, "/login")
        planted = client.cookies[COOKIE]
        await login(client, "alice")
        assert client.cookies[COOKIE] != planted
        after_token = await token(client, "/studio")
        assert after_token != before_token
    async with browser(art) as attacker:
        attacker.cookies.set(COOKIE, planted, domain="art.test")
        assert (await attacker.get("/studio")).status_code == 303


async def test_wrong_password_and_unknown_user_get_the_same_generic_answer(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "nopass")  # no password: cannot log in
    answers = []
    async with browser(art) as client:
        for username, password in [("alice", "wrong password!"), ("nobody", PASSWORD), ("nopass", PASSWORD),
                                   ("art.test", PASSWORD), ("", "")]:
            response = await login(client, username, password)
            answers.append((response.status_code, "Wrong username or password." in response.text))
            assert COOKIE in client.cookies  # still an anonymous session, not a logged-in one
        assert (await client.get("/studio")).status_code == 303
    assert answers == [(401, True)] * 5


async def test_instance_actor_cannot_log_in_even_with_a_password(network: Network) -> None:
    art = await network.add("art.test")
    async with art.rt.sessions() as session:
        instance_user = await account_db.local_user(session, "art.test")
        assert instance_user is not None
        instance_user.password_hash = hash_password(PASSWORD)
        await session.commit()
    async with browser(art) as client:
        response = await login(client, "art.test")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text


async def test_login_with_handle_or_capitals_works(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        assert (await login(client, "@Alice@art.test")).status_code == 303


async def test_failed_logins_from_one_address_do_not_lock_the_artist_out_elsewhere(network: Network) -> None:
    """An attacker guessing alice's password from address A is stopped; alice, from address B, logs in."""
    art = await network.add("art.test", clock=StepClock(), server={"login_attempts_per_minute": 3})
    await make_user(art, "alice", password=PASSWORD)
    attacker_address = httpx.ASGITransport(app=art.app, client=("198.51.100.66", 4000))
    async with httpx.AsyncClient(transport=attacker_address, base_url=art.base) as attacker:
        for name in ("alice", "Alice", "@alice@art.test"):
            assert (await login(attacker, name, "guess guess")).status_code == 401
        blocked = await login(attacker, "alice")  # even the right password waits, from this address
    assert blocked.status_code == 429
    assert "Too many login attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    alice_address = httpx.ASGITransport(app=art.app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=alice_address, base_url=art.base) as alice:
        assert (await login(alice, "alice")).status_code == 303


async def test_the_per_account_ceiling_stops_guesses_spread_over_many_addresses(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(),
                            server={"login_attempts_per_minute": 3, "login_attempts_per_hour_per_account": 5})
    await make_user(art, "alice", password=PASSWORD)
    for n in range(5):
        botnet = httpx.ASGITransport(app=art.app, client=(f"198.51.100.{n + 1}", 4000))
        async with httpx.AsyncClient(transport=botnet, base_url=art.base) as bot:
            assert (await login(bot, "alice", "guess guess")).status_code == 401
    alice_address = httpx.ASGITransport(app=art.app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=alice_address, base_url=art.base) as alice:
        blocked = await login(alice, "alice")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 60  # the ceiling's window is an hour, not a minute


async def test_too_many_attempts_from_one_address_get_429_whatever_the_username(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(), server={"login_attempts_per_minute_per_address": 3})
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        for name in ("bob", "carol", "dave"):
            assert (await login(client, name, "guess guess")).status_code == 401
        blocked = await login(client, "alice")
    assert blocked.status_code == 429
    assert "Wait" in blocked.text


async def test_logout_ends_the_session_and_needs_the_csrf_token(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        refused = await client.post("/logout", data={})
        assert refused.status_code == 403
        assert (await client.get("/studio")).status_code == 200
        response = await post_form(client, "/studio", "/logout")
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert "You are logged out." in (await client.get("/login")).text
        assert (await client.get("/studio")).status_code == 303


async def test_posts_without_or_with_a_wrong_csrf_token_are_refused_with_403(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await client.get("/login")
        no_token = await client.post("/login", data={"username": "alice", "password": PASSWORD})
        assert no_token.status_code == 403
        assert "security token" in no_token.text
        await login(client, "alice")
        for data in ({}, {"csrf_token": "forged" * 8}):
            response = await client.post("/studio/profile", data={**data, "display_name": "Mallory"})
            assert response.status_code == 403, response.text
            assert "security token is missing or wrong" in response.text
        profile = await client.get("/studio/profile")
    assert "Mallory" not in profile.text


async def test_cross_origin_posts_are_refused_by_origin_header(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        csrf = await token(client, "/login")
        evil = await client.post("/login", data={"csrf_token": csrf, "username": "alice", "password": PASSWORD},
                                 headers={"Origin": "https://evil.test"})
        assert evil.status_code == 403
        assert "https://evil.test" in evil.text and "https://art.test" in evil.text
        assert (await client.get("/studio")).status_code == 303  # not logged in
        same = await login(client, "alice", Origin="https://art.test")
        assert same.status_code == 303
        csrf = await token(client, "/studio/profile")
        cross = await client.post("/studio/profile", data={"csrf_token": csrf, "display_name": "Mallory"},
                                  headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403


async def test_session_expires_after_being_idle_and_forged_cookies_are_ignored(network: Network) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        assert (await client.get("/studio")).status_code == 200
        codec = SessionCodec(load_or_create_secret(art.rt.settings.server.secret_key_file))
        good = codec.decode(client.cookies[COOKIE], time.time())
        assert good is not None and good["uid"] == alice.account_id
        stale = {**good, "seen": int(time.time()) - codec.idle_seconds - 10}
        client.cookies.set(COOKIE, codec.encode(stale), domain="art.test")
        assert (await client.get("/studio")).status_code == 303
        forged = SessionCodec(b"x" * 48).encode({**good, "seen": int(time.time())})
        client.cookies.set(COOKIE, forged, domain="art.test")
        assert (await client.get("/studio")).status_code == 303


async def test_changing_the_password_ends_existing_sessions(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        async with art.rt.sessions() as session:
            user = await account_db.local_user(session, "alice")
            assert user is not None
            user.password_hash = hash_password("a new password")
            await session.commit()
        assert (await client.get("/studio")).status_code == 303


async def test_login_redirects_only_to_paths_on_this_site(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        page = await client.get("/login", params={"next": "/studio/profile"})
        assert 'value="/studio/profile"' in page.text
        response = await client.post("/login", data={"csrf_token": csrf_of(page.text), "username": "alice",
                                                     "password": PASSWORD, "next": "/studio/profile"})
        assert response.headers["location"] == "/studio/profile"
    for evil in ("//evil.test/x", "https://evil.test/", "/\\evil.test"):
        async with browser(art) as client:
            csrf = await token(client, "/login")
            response = await client.post("/login", data={"csrf_token": csrf, "username": "alice",
                                                         "password": PASSWORD, "next": evil})
            assert response.headers["location"] == "/studio"


async def test_secret_key_file_is_made_on_first_start_readable_by_the_owner_only(network: Network) -> None:
    art = await network.add("art.test")
    key_file = Path(art.rt.settings.server.secret_key_file)
    async with browser(art) as client:
        await client.get("/login")
    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 32
    assert load_or_create_secret(key_file) == load_or_create_secret(key_file)


async def test_federation_endpoints_never_set_a_session_cookie(network: Network) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        response = await client.get(alice.account.uri, headers={"Accept": "application/activity+json"})
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
