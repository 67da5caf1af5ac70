"""Server-side panel sessions: a cookie is only as good as its row, so logging out, changing the password,
a staff suspension or "end this session" in the studio stop a copied cookie on its very next request."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

import httpx
from sqlalchemy import select

from fediverse.jobs.sweeper import housekeeping
from fediverse.models import WebSession
from fediverse.web.panel.secret import load_or_create_secret
from fediverse.web.panel.sessions import SessionCodec
from tests.api.oauth_client import bearer
from tests.api.tokens import token_for
from tests.federation.helpers import make_user
from tests.support import Instance, Network, StepClock
from tests.web.panel_client import PASSWORD, browser, login, post_form

COOKIE = "__Host-session"
NEW_PASSWORD = "a brand new passphrase"


def elsewhere(instance: Instance, address: str, agent: str) -> httpx.AsyncClient:
    """Another browser on another network."""
    transport = httpx.ASGITransport(app=instance.app, client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url=instance.base, headers={"User-Agent": agent})


def copy_cookie(source: httpx.AsyncClient, target: httpx.AsyncClient) -> None:
    target.cookies.set(COOKIE, source.cookies[COOKIE], domain="art.test")


def session_token(instance: Instance, client: httpx.AsyncClient) -> str:
    codec = SessionCodec(load_or_create_secret(instance.rt.settings.server.secret_key_file))
    data = codec.decode(client.cookies[COOKIE], time.time())
    assert data is not None
    return str(data["sid"])


async def rows(instance: Instance) -> list[WebSession]:
    async with instance.rt.sessions() as session:
        return list(await session.scalars(select(WebSession).order_by(WebSession.id)))


async def test_a_copied_cookie_is_refused_after_logout(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client, browser(art) as thief:
        assert (await login(client, "alice")).status_code == 303
        copy_cookie(client, thief)
        assert (await thief.get("/studio")).status_code == 200
        assert (await post_form(client, "/studio", "/logout")).status_code == 303
        refused = await thief.get("/studio")
        assert refused.status_code == 303 and refused.headers["location"] == "/login?next=/studio"
        post = await thief.post("/studio/profile", data={"display_name": "Mallory"})
        assert post.status_code == 403
    assert await rows(art) == []


async def test_the_database_holds_a_hash_of_the_session_token_never_the_token(network: Network) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice", password=PASSWORD)
    async with elsewhere(art, "198.51.100.7", "Firefox on Linux") as client:
        await login(client, "alice")
        token = session_token(art, client)
    [row] = await rows(art)
    assert row.account_id == alice.account_id
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    assert row.user_agent == "Firefox on Linux" and row.client_address == "198.51.100.7"


async def test_changing_the_password_ends_other_sessions_and_app_tokens_and_keeps_this_one(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    app = bearer(await token_for(art, "alice"))  # an app she authorised before (a stolen token, say)

    async def app_works() -> bool:
        async with art.client() as client:
            answer = await client.get("/api/v1/accounts/verify_credentials", headers=app)
        assert answer.status_code in (200, 401), answer.text
        return answer.status_code == 200

    async with browser(art) as here, elsewhere(art, "198.51.100.7", "Phone") as phone:
        await login(here, "alice")
        await login(phone, "alice")
        wrong = await post_form(here, "/studio/security", "/studio/security/password",
                                {"current_password": "not it at all", "new_password": NEW_PASSWORD,
                                 "new_password_confirm": NEW_PASSWORD})
        assert wrong.status_code == 400 and "current password" in wrong.text.lower()
        assert (await phone.get("/studio")).status_code == 200
        assert await app_works()
        done = await post_form(here, "/studio/security", "/studio/security/password",
                               {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                "new_password_confirm": NEW_PASSWORD})
        assert done.status_code == 303, done.text
        assert (await here.get("/studio")).status_code == 200
        refused = await phone.get("/studio")
        assert refused.status_code == 303 and refused.headers["location"] == "/login?next=/studio"
        assert not await app_works()  # apps sign in again, with the new password
    assert len(await rows(art)) == 1
    async with browser(art) as fresh:
        assert (await login(fresh, "alice")).status_code == 401
        assert (await login(fresh, "alice", NEW_PASSWORD)).status_code == 303


async def test_a_staff_suspension_ends_every_session_of_the_artist(network: Network) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    page = f"/admin/accounts/{alice.account_id}"
    async with browser(art) as artist, browser(art) as staff:
        await login(artist, "alice")
        await login(staff, "mod")
        assert (await artist.get("/studio")).status_code == 200
        for action in ("suspend", "unsuspend"):
            done = await post_form(staff, page, f"{page}/action", {"action": action, "reason": "checking"})
            assert done.status_code == 303, done.text
        # Unsuspended again, but the sessions that existed at the suspension stay ended.
        refused = await artist.get("/studio")
        assert refused.status_code == 303 and refused.headers["location"] == "/login?next=/studio"
        assert (await staff.get("/studio")).status_code == 200
    assert alice.account_id not in [row.account_id for row in await rows(art)]


async def test_the_studio_lists_sessions_and_ends_one_or_all_others(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    async with (elsewhere(art, "198.51.100.7", "Firefox on Linux") as laptop,
                elsewhere(art, "203.0.113.9", "Safari on iPhone") as phone,
                elsewhere(art, "192.0.2.44", "Chromium on a tablet") as tablet):
        for client in (laptop, phone, tablet):
            await login(client, "alice")
        listing = await laptop.get("/studio/security")
        assert listing.status_code == 200
        for agent, address in (("Firefox on Linux", "198.51.100.7"), ("Safari on iPhone", "203.0.113.9"),
                               ("Chromium on a tablet", "192.0.2.44")):
            assert agent in listing.text and address in listing.text
        assert "This browser" in listing.text
        assert session_token(art, laptop) not in listing.text and not re.search(r"[0-9a-f]{64}", listing.text)
        phone_row = next(r for r in await rows(art) if r.user_agent == "Safari on iPhone")
        forged = await laptop.post(f"/studio/security/sessions/{phone_row.id}/end", data={})
        assert forged.status_code == 403
        assert (await phone.get("/studio")).status_code == 200
        ended = await post_form(laptop, "/studio/security", f"/studio/security/sessions/{phone_row.id}/end")
        assert ended.status_code == 303
        assert (await phone.get("/studio")).status_code == 303
        assert (await tablet.get("/studio")).status_code == 200
        after = await laptop.get("/studio/security")
        assert "Safari on iPhone" not in after.text and "Chromium on a tablet" in after.text
        others = await post_form(laptop, "/studio/security", "/studio/security/sessions/end-others")
        assert others.status_code == 303
        assert (await tablet.get("/studio")).status_code == 303
        assert (await laptop.get("/studio")).status_code == 200
        assert [r.user_agent for r in await rows(art)] == ["Firefox on Linux"]
        own = (await rows(art))[0]
        itself = await post_form(laptop, "/studio/security", f"/studio/security/sessions/{own.id}/end")
        assert itself.status_code == 303 and itself.headers["location"] == "/login"
        assert (await laptop.get("/studio")).status_code == 303
    assert await rows(art) == []


async def test_nobody_ends_another_accounts_session(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "bob", password=PASSWORD)
    async with browser(art) as alice, browser(art) as bob:
        await login(alice, "alice")
        await login(bob, "bob")
        alice_row = (await rows(art))[0]
        response = await post_form(bob, "/studio/security", f"/studio/security/sessions/{alice_row.id}/end")
        assert response.status_code == 404
        assert (await alice.get("/studio")).status_code == 200


async def test_idle_sessions_are_refused_and_pruned_and_last_seen_is_written_at_most_once_a_minute(
        network: Network) -> None:
    clock = StepClock()  # the session limits count on the instance's clock: the test moves it, nothing else
    art = await network.add("art.test", clock=clock)
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as client:
        await login(client, "alice")
        before = (await rows(art))[0].last_seen_at
        assert before == clock.now()
        clock.advance(30)
        assert (await client.get("/studio")).status_code == 200
        assert (await rows(art))[0].last_seen_at == before  # no write within the minute
        clock.advance(60)
        assert (await client.get("/studio")).status_code == 200
        assert (await rows(art))[0].last_seen_at == clock.now()
        clock.advance(timedelta(days=2).total_seconds())  # idle longer than the limit (the cookie itself is fresh)
        assert (await client.get("/studio")).status_code == 303
    await housekeeping(art.rt)
    assert await rows(art) == []
