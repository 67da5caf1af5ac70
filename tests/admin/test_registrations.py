"""Sign-up modes, the rules, the reason, the approval queue, and what a pending account can and cannot do."""

from __future__ import annotations

from sqlalchemy import select

from fediverse.db import accounts as account_db
from fediverse.models import Account, AuditLog, LocalUser
from tests.admin.signup_client import OPEN, from_ip, open_form, sign_up
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, errors_in, login, post_form

RULES = "Post only your own art\nNo harassment"


async def _local(instance: Instance, username: str) -> LocalUser | None:
    async with instance.rt.sessions() as session:
        return await account_db.local_user(session, username)


async def test_open_mode_account_is_usable_at_once_and_rules_must_be_accepted(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN, instance={"rules": RULES})
    async with browser(art) as client:
        _, _, html = await open_form(client)
        assert "Post only your own art" in html and "No harassment" in html and "I accept the rules" in html
        assert "Why do you want to join" not in html  # asked in approval mode only
        refused = await sign_up(client, "newbie", accept_rules=None)
        assert refused.status_code == 400 and "accept the rules" in errors_in(refused.text)
        assert await _local(art, "newbie") is None
        done = await sign_up(client, "newbie")
        assert done.status_code == 303 and done.headers["location"] == "/studio", done.text[:500]
        studio = await client.get("/studio")  # logged in straight away
        assert studio.status_code == 200 and "@newbie" in studio.text
    user = await _local(art, "newbie")
    assert user is not None and user.approved and user.email == "newbie@mail.example"
    assert user.signup_ip == "127.0.0.1" and user.role == "artist"
    async with browser(art) as client:
        assert (await login(client, "newbie")).status_code == 303


async def test_bad_fields_are_refused_with_the_reason_and_nothing_is_written(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN)
    await make_user(art, "taken", password=PASSWORD)
    async with browser(art) as client:
        cases = [({"password_confirm": "something else entirely"}, "not the same"),
                 ({"email": "not-an-address"}, "e-mail address"),
                 ({"password": "short", "password_confirm": "short"}, "at least 8"),
                 ({"username": "Bad Name!"}, "username may use")]
        for overrides, message in cases:
            response = await sign_up(client, overrides.pop("username", "fresh"), **overrides)
            assert response.status_code == 400 and message in errors_in(response.text).lower(), (overrides, response.text[:300])
        taken = await sign_up(client, "taken")
        assert taken.status_code == 409 and "taken" in errors_in(taken.text)
        assert (await sign_up(client, "first", email="Same@mail.example")).status_code == 303
        client.cookies.clear()
        same_mail = await sign_up(client, "second", email="same@MAIL.example")
        assert same_mail.status_code == 400 and "already exists" in errors_in(same_mail.text)
        kept = await sign_up(client, "fresh", password_confirm="nope nope nope")
        assert 'value="fresh"' in kept.text and 'value="fresh@mail.example"' in kept.text  # typed values stay
        assert PASSWORD not in kept.text
    async with art.rt.sessions() as session:
        names = set(await session.scalars(select(Account.username).where(Account.domain.is_(None))))
    assert "fresh" not in names


async def test_approval_mode_needs_a_reason_and_the_pending_user_waits(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval", "min_fill_seconds": 0})
    async with browser(art) as client:
        _, _, html = await open_form(client)
        assert "Why do you want to join?" in html
        no_reason = await sign_up(client, "hopeful", reason="  ")
        assert no_reason.status_code == 400 and "why you want to join" in errors_in(no_reason.text)
        waiting = await sign_up(client, "hopeful", reason="I paint herons")
        assert waiting.status_code == 200 and "waiting for approval" in waiting.text
        assert (await client.get("/studio")).status_code == 303  # not logged in
    user = await _local(art, "hopeful")
    assert user is not None and not user.approved and user.signup_reason == "I paint herons"
    async with browser(art) as client:
        pending = await login(client, "hopeful")
        assert pending.status_code == 403 and "waiting for a moderator" in pending.text
        assert "Wrong username or password" not in pending.text
        wrong = await login(client, "hopeful", "not the password at all")
        assert wrong.status_code == 401 and "Wrong username or password" in wrong.text  # no hint without the password


async def test_reason_can_be_optional(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval", "min_fill_seconds": 0, "require_reason": False})
    async with browser(art) as client:
        response = await sign_up(client, "quiet", reason="")
    assert response.status_code == 200 and "waiting for approval" in response.text


async def _assert_hidden(instance: Instance, username: str, hidden: bool) -> None:
    async with instance.client() as client:
        finger = await client.get("/.well-known/webfinger", params={"resource": f"acct:{username}@{instance.domain}"})
        actor = await client.get(f"/users/{username}", headers={"Accept": "application/activity+json"})
        profile = await client.get(f"/@{username}")
        inbox = await client.post(f"/users/{username}/inbox", content=b"{}",
                                  headers={"Content-Type": "application/activity+json"})
        home = await client.get("/")
        nodeinfo = (await client.get("/nodeinfo/2.0")).json()
    if hidden:
        assert (finger.status_code, actor.status_code, profile.status_code, inbox.status_code) == (404, 404, 404, 404)
        assert f"@{username}@" not in home.text
    else:
        assert (finger.status_code, actor.status_code, profile.status_code) == (200, 200, 200)
        assert f"@{username}@" in home.text
    users = nodeinfo["usage"]["users"]["total"]
    async with instance.rt.sessions() as session:
        assert users == await account_db.count_local_users(session)


async def test_moderator_approves_and_the_account_appears(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval", "min_fill_seconds": 0})
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    await make_user(art, "shown", password=PASSWORD)
    async with browser(art) as client:
        await sign_up(client, "hopeful", reason="I paint herons")
    await _assert_hidden(art, "hopeful", hidden=True)
    async with art.client() as client:
        assert (await client.get("/nodeinfo/2.0")).json()["usage"]["users"]["total"] == 2  # mod + shown, not hopeful
    user = await _local(art, "hopeful")
    assert user is not None
    async with browser(art) as client:
        await login(client, "mod")
        queue = await client.get("/admin/signups")
        assert queue.status_code == 200
        for shown in ("@hopeful", "hopeful@mail.example", "I paint herons", "127.0.0.1"):
            assert shown in queue.text
        done = await post_form(client, "/admin/signups", f"/admin/signups/{user.account_id}/approve",
                               {"message": "welcome"})
        assert done.status_code == 303
        after = (await client.get("/admin/signups")).text
        assert "Approved @hopeful" in after and f'id="signup-{user.account_id}"' not in after
        again = await post_form(client, "/admin/signups", f"/admin/signups/{user.account_id}/approve")
        assert again.status_code == 404  # no longer waiting
    await _assert_hidden(art, "hopeful", hidden=False)
    async with browser(art) as client:
        assert (await login(client, "hopeful")).status_code == 303
    async with art.rt.sessions() as session:
        entry = await session.scalar(select(AuditLog).where(AuditLog.action == "signup.approve"))
    assert entry is not None and entry.actor_handle == "@mod" and entry.target == "@hopeful" and entry.reason == "welcome"


async def test_reject_deletes_the_pending_account_with_a_logged_reason(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval", "min_fill_seconds": 0})
    await make_user(art, "boss", password=PASSWORD, role="admin")
    async with browser(art) as client:
        await sign_up(client, "spammer", reason="buy cheap watches")
    user = await _local(art, "spammer")
    assert user is not None
    async with browser(art) as client:
        await login(client, "boss")
        done = await post_form(client, "/admin/signups", f"/admin/signups/{user.account_id}/reject",
                               {"message": "advertising"})
        assert done.status_code == 303
        bogus = await post_form(client, "/admin/signups", f"/admin/signups/{user.account_id}/frobnicate")
        assert bogus.status_code == 404
    assert await _local(art, "spammer") is None
    async with art.rt.sessions() as session:
        assert await session.scalar(select(Account).where(Account.username == "spammer")) is None
        entry = await session.scalar(select(AuditLog).where(AuditLog.action == "signup.reject"))
    assert entry is not None and entry.reason == "advertising" and entry.target == "@spammer"
    async with browser(art) as client:  # the name is free again
        assert (await sign_up(client, "spammer", reason="second try")).status_code == 200


async def test_closed_mode_says_so_and_refuses_posts(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "closed"})
    async with browser(art) as client:
        page = await client.get("/signup")
        assert page.status_code == 200 and "closed" in page.text and 'name="username"' not in page.text
        login_page = await client.get("/login")
        assert 'href="/signup"' not in login_page.text
        csrf = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
        refused = await client.post("/signup", data={"csrf_token": csrf, "username": "x", "stamp": "1.a.b"})
        assert refused.status_code == 403 and "closed" in refused.text
        assert 'href="/signup"' not in (await client.get("/")).text
    assert await _local(art, "x") is None


async def test_signup_links_on_login_and_home_when_open(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval"})
    async with browser(art) as client:
        assert 'href="/signup"' in (await client.get("/login")).text
        assert 'href="/signup"' in (await client.get("/")).text


async def test_a_moderator_rejects_every_pending_sign_up_from_one_address_at_once(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval", "min_fill_seconds": 0,
                                                     "auto_approval_after_hours": 0})
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    for n in range(3):
        async with from_ip(art, "203.0.113.9") as bot:
            assert (await sign_up(bot, f"wave{n}")).status_code == 200
    async with from_ip(art, "198.51.100.4") as person:
        assert (await sign_up(person, "heron")).status_code == 200
    async with browser(art) as client:
        await login(client, "mod")
        queue = await client.get("/admin/signups")
        assert "Reject all 3 from 203.0.113.9" in queue.text and "from 198.51.100.4" not in queue.text
        done = await post_form(client, "/admin/signups", "/admin/signups/reject-address",
                               {"ip": "203.0.113.9", "message": "bot wave"})
        assert done.status_code == 303
        again = await post_form(client, "/admin/signups", "/admin/signups/reject-address", {"ip": "203.0.113.9"})
        assert again.status_code == 404  # nothing left from there: a clear answer, nothing touched
        after = (await client.get("/admin/signups")).text
    assert "@heron" in after and "@wave0" not in after and "@wave2" not in after
    async with art.rt.sessions() as session:
        reasons = list(await session.scalars(select(AuditLog.reason).where(AuditLog.action == "signup.reject")))
    assert reasons == ["bot wave"] * 3
