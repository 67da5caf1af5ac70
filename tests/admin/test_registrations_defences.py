"""Sign-up defences: honeypot, minimum fill time with a signed stamp, e-mail domain blocks, proof of work,
invites, the automatic switch to approval mode, and CSRF."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from fediverse.db import accounts as account_db
from fediverse.jobs.sweeper import housekeeping
from fediverse.models import AuditLog, EmailDomainBlock, Invite, LocalUser, utcnow
from fediverse.services import modlog, signup_tokens, site_settings
from fediverse.services.registrations import check_auto_approval
from tests.admin.signup_client import OPEN, fields, open_form, sign_up, signup_key
from tests.federation.helpers import make_user
from tests.support import Instance, Network, StepClock
from tests.web.panel_client import PASSWORD, browser, csrf_of, errors_in, login, post_form


async def _exists(instance: Instance, username: str) -> bool:
    async with instance.rt.sessions() as session:
        return await account_db.local_user(session, username) is not None


async def test_honeypot_is_refused_without_saying_why(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN)
    async with browser(art) as client:
        _, _, html = await open_form(client)
        assert 'class="hp"' in html and 'name="website"' in html and 'tabindex="-1"' in html
        bot = await sign_up(client, "robot", website="http://spam.example")
        assert bot.status_code == 400 and "could not be accepted" in errors_in(bot.text)
        assert "website" not in errors_in(bot.text).lower() and "honeypot" not in bot.text.lower()
    assert not await _exists(art, "robot")


async def test_a_form_sent_too_fast_or_with_a_forged_stamp_is_refused(network: Network) -> None:
    art = await network.add("art.test", clock=StepClock(), registrations={**OPEN, "min_fill_seconds": 30})
    async with browser(art) as client:
        fast = await sign_up(client, "speedy")
        assert fast.status_code == 400 and "too quickly" in errors_in(fast.text)
        csrf, stamp, _ = await open_form(client)
        issued, rand, mac = stamp.split(".")
        backdated = f"{int(issued) - 3600}.{rand}.{mac}"  # an hour earlier, same signature: does not verify
        forged = await client.post("/signup", data={"csrf_token": csrf, "stamp": backdated, **fields("forger")})
        assert forged.status_code == 400 and "timestamp is missing or was changed" in errors_in(forged.text)
        missing = await client.post("/signup", data={"csrf_token": csrf, **fields("forger")})
        assert missing.status_code == 400 and "timestamp" in errors_in(missing.text)
        wrong_key = signup_tokens.issue(b"not the server key" * 2, art.clock.time() - 3600)
        forged2 = await client.post("/signup", data={"csrf_token": csrf, "stamp": wrong_key, **fields("forger")})
        assert forged2.status_code == 400 and "was changed" in errors_in(forged2.text)
        real_old = signup_tokens.issue(signup_key(art), art.clock.time() - 60)  # what a patient person sends
        ok = await client.post("/signup", data={"csrf_token": csrf, "stamp": real_old, **fields("patient")})
        assert ok.status_code == 303, errors_in(ok.text)
    async with browser(art) as client:  # a bot replaying the same stamp from a fresh session
        csrf, _, _ = await open_form(client)
        replay = await client.post("/signup", data={"csrf_token": csrf, "stamp": real_old, **fields("patient2")})
        assert replay.status_code == 400 and "already used" in errors_in(replay.text)
        stale = signup_tokens.issue(signup_key(art), art.clock.time() - 3 * 3600)
        too_old = await client.post("/signup", data={"csrf_token": csrf, "stamp": stale, **fields("late")})
        assert too_old.status_code == 400 and "too old" in errors_in(too_old.text)
    for name in ("speedy", "forger", "patient2", "late"):
        assert not await _exists(art, name), name
    assert await _exists(art, "patient")


async def test_blocked_email_domains_and_their_subdomains_are_refused(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN)
    await make_user(art, "boss", password=PASSWORD, role="admin")
    await make_user(art, "mod", password=PASSWORD, role="moderator")
    async with browser(art) as client:
        await login(client, "mod")
        assert (await client.get("/admin/email-blocks")).status_code == 403
    async with browser(art) as client:
        await login(client, "boss")
        added = await post_form(client, "/admin/email-blocks", "/admin/email-blocks", {"domain": "Spam.Example"})
        assert added.status_code == 303
        bad = await post_form(client, "/admin/email-blocks", "/admin/email-blocks", {"domain": "not a domain"})
        assert bad.status_code == 400
        dup = await post_form(client, "/admin/email-blocks", "/admin/email-blocks", {"domain": "spam.example"})
        assert dup.status_code == 400 and "already blocked" in dup.text
        assert "spam.example" in (await client.get("/admin/email-blocks")).text
    async with browser(art) as client:
        for address in ("a@spam.example", "b@mail.spam.example", "c@SPAM.example"):
            refused = await sign_up(client, "blocked", email=address)
            assert refused.status_code == 400 and "not accepted here" in errors_in(refused.text), address
        allowed = await sign_up(client, "fine", email="d@notspam.example")
        assert allowed.status_code == 303
    assert not await _exists(art, "blocked")
    async with art.rt.sessions() as session:
        block = await session.scalar(select(EmailDomainBlock))
        assert block is not None and block.domain == "spam.example"
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.action.startswith("email_block"))))
    assert actions == ["email_block.add"]
    async with browser(art) as client:
        await login(client, "boss")
        removed = await post_form(client, "/admin/email-blocks", f"/admin/email-blocks/{block.id}/delete")
        assert removed.status_code == 303
    async with browser(art) as client:
        assert (await sign_up(client, "later", email="e@spam.example")).status_code == 303


async def test_proof_of_work_right_and_wrong_nonce(network: Network) -> None:
    art = await network.add("art.test", registrations={**OPEN, "proof_of_work_bits": 10})
    async with browser(art) as client:
        csrf, stamp, html = await open_form(client)
        page = await client.get("/signup")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert '<script src="/static/pow.js"' in html and 'data-bits="10"' in html and stamp in html
        assert (await client.get("/static/pow.js")).status_code == 200
        nonce = signup_tokens.solve(stamp, 10)
        wrong = next(str(n) for n in range(10_000) if not signup_tokens.pow_ok(stamp, str(n), 10))
        refused = await client.post("/signup", data={"csrf_token": csrf, "stamp": stamp, "nonce": wrong, **fields("lazy")})
        assert refused.status_code == 400 and "puzzle was not solved" in errors_in(refused.text)
        empty = await client.post("/signup", data={"csrf_token": csrf, "stamp": stamp, **fields("lazy")})
        assert empty.status_code == 400
        ok = await client.post("/signup", data={"csrf_token": csrf, "stamp": stamp, "nonce": nonce, **fields("worker")})
        assert ok.status_code == 303, errors_in(ok.text)
    assert signup_tokens.leading_zero_bits(signup_tokens.pow_digest(stamp, nonce)) >= 10
    assert not await _exists(art, "lazy") and await _exists(art, "worker")
    plain = await network.add("plain.test", registrations=OPEN)  # off: no script allowed, no nonce needed
    async with browser(plain) as client:
        page = await client.get("/signup")
        assert "script-src 'none'" in page.headers["content-security-policy"] and "pow.js" not in page.text


async def test_invites_expiry_and_use_counts(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "invite", "min_fill_seconds": 0,
                                                       "attempts_per_hour_per_ip": 100})
    await make_user(art, "boss", password=PASSWORD, role="admin")
    async with browser(art) as client:
        page = await client.get("/signup")
        assert "need an invite" in page.text and 'name="username"' not in page.text
        nocode = await sign_up_without_invite(art, client)
        assert nocode.status_code == 403 and "need an invite" in nocode.text
    async with browser(art) as client:
        await login(client, "boss")
        made = await post_form(client, "/admin/invites", "/admin/invites", {"max_uses": "2", "days": "7"})
        assert made.status_code == 303
        bad = await post_form(client, "/admin/invites", "/admin/invites", {"max_uses": "-3", "days": "7"})
        assert bad.status_code == 400
    async with art.rt.sessions() as session:
        invite = await session.scalar(select(Invite))
    assert invite is not None and invite.max_uses == 2 and invite.expires_at is not None
    assert timedelta(days=6, hours=23) < invite.expires_at - utcnow() <= timedelta(days=7)
    async with browser(art) as client:
        link = await client.get(f"/invite/{invite.code}")
        assert link.status_code == 303 and link.headers["location"] == f"/signup?invite={invite.code}"
        for name in ("first", "second"):
            assert (await sign_up(client, name, path=f"/signup?invite={invite.code}")).status_code == 303
            client.cookies.clear()
        used_up = await client.get(f"/signup?invite={invite.code}")
        assert used_up.status_code == 404 and "not valid" in used_up.text
    async with art.rt.sessions() as session:
        first = await account_db.local_user(session, "first")
        assert first is not None and first.approved and first.invite_id == invite.id
        assert (await session.get(Invite, invite.id)).uses == 2
        await session.execute(update(Invite).where(Invite.id == invite.id).values(
            max_uses=None, expires_at=utcnow() - timedelta(minutes=1)))
        await session.commit()
    async with browser(art) as client:
        expired = await client.get(f"/signup?invite={invite.code}")
        assert expired.status_code == 404
        csrf = csrf_of((await client.get("/login")).text)
        stamp = signup_tokens.issue(signup_key(art), time.time() - 10)
        late = await client.post("/signup", data={"csrf_token": csrf, "stamp": stamp, "invite": invite.code,
                                                  **fields("third")})
        assert late.status_code == 403 and "not valid" in errors_in(late.text)
    assert not await _exists(art, "third")
    async with browser(art) as client:
        await login(client, "boss")
        listing = await client.get("/admin/invites")
        assert "expired" in listing.text and f"/invite/{invite.code}" in listing.text


async def sign_up_without_invite(instance: Instance, client: httpx.AsyncClient) -> httpx.Response:
    """A POST straight to /signup in invite mode (the form is not even offered without a code)."""
    csrf = csrf_of((await client.get("/login")).text)
    stamp = signup_tokens.issue(signup_key(instance), time.time() - 10)
    return await client.post("/signup", data={"csrf_token": csrf, "stamp": stamp, **fields("nocode")})


async def test_revoked_invite_stops_working_and_an_invite_skips_the_approval_queue(network: Network) -> None:
    art = await network.add("art.test", registrations={"mode": "approval", "min_fill_seconds": 0})
    boss = await make_user(art, "boss", password=PASSWORD, role="admin")
    async with browser(art) as client:
        await login(client, "boss")
        await post_form(client, "/admin/invites", "/admin/invites", {"max_uses": "", "days": ""})
    async with art.rt.sessions() as session:
        invite = await session.scalar(select(Invite))
    assert invite is not None and invite.max_uses is None and invite.expires_at is None
    async with browser(art) as client:
        _, _, html = await open_form(client, f"/signup?invite={invite.code}")
        assert "Why do you want to join" not in html
        assert (await sign_up(client, "friend", path=f"/signup?invite={invite.code}", reason="")).status_code == 303
    async with browser(art) as client:
        await login(client, "boss")
        revoked = await post_form(client, "/admin/invites", f"/admin/invites/{invite.id}/revoke")
        assert revoked.status_code == 303
    async with browser(art) as client:
        assert (await client.get(f"/signup?invite={invite.code}")).status_code == 404
    async with art.rt.sessions() as session:
        friend = await account_db.local_user(session, "friend")
        assert friend is not None and friend.approved
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.actor_id == boss.account_id)
                                             .order_by(AuditLog.id)))
    assert actions == ["invite.create", "invite.revoke"]


async def test_open_switches_to_approval_when_no_staff_acted_for_the_configured_time(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN)
    rt = art.rt
    boss = await make_user(art, "boss", password=PASSWORD, role="admin")
    async with rt.sessions() as session:
        modlog.record(session, boss, "invite.create", "invite", "abc")
        await session.commit()
        new = await site_settings.save(rt, session, {"registrations.auto_approval_after_hours": 2})
        await session.commit()
    site_settings.apply(rt, new)
    async with browser(art) as client:  # the boss acted just now: stays open
        assert (await sign_up(client, "early")).status_code == 303
    assert rt.settings.registrations.mode == "open"
    async with rt.sessions() as session:
        await session.execute(update(AuditLog).values(created_at=utcnow() - timedelta(hours=3)))
        await session.commit()
    async with browser(art) as client:  # nobody visits the admin panel; a sign-up request itself notices
        page = await client.get("/signup")
        assert "reviewed" in page.text and "Why do you want to join?" in page.text
        waiting = await sign_up(client, "late")
        assert waiting.status_code == 200 and "waiting for approval" in waiting.text
    assert rt.settings.registrations.mode == "approval"
    async with rt.sessions() as session:
        assert (await site_settings.stored(session))["registrations.mode"] == "approval"  # survives a restart
        late = await account_db.local_user(session, "late")
        assert late is not None and not late.approved
        entries = list(await session.scalars(select(AuditLog).where(AuditLog.action == "registrations.auto_approval")))
    assert len(entries) == 1 and entries[0].actor_id is None and entries[0].actor_handle == "system"
    assert "2 hours" in entries[0].reason


async def test_the_switch_happens_in_housekeeping_without_any_request(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN)
    rt = art.rt
    boss = await make_user(art, "boss", password=PASSWORD, role="admin")
    async with rt.sessions() as session:
        modlog.record(session, boss, "invite.create", "invite", "abc")
        await session.commit()
        await session.execute(update(AuditLog).values(created_at=utcnow() - timedelta(hours=5)))
        await session.execute(update(LocalUser).values(created_at=utcnow() - timedelta(hours=5)))
        new = await site_settings.save(rt, session, {"registrations.auto_approval_after_hours": 4})
        await session.commit()
    site_settings.apply(rt, new)
    await housekeeping(rt)
    assert rt.settings.registrations.mode == "approval"
    await housekeeping(rt)  # once is enough: no second entry
    async with rt.sessions() as session:
        count = len(list(await session.scalars(select(AuditLog).where(AuditLog.action == "registrations.auto_approval"))))
    assert count == 1


@pytest.mark.parametrize("mode_row", [False, True], ids=["mode-from-the-file", "mode-saved-in-the-panel"])
async def test_racing_checks_switch_once_and_log_once(network: Network, mode_row: bool) -> None:
    """Sign-up requests and housekeeping check at the same moment: one switch, one audit entry, all agree."""
    art = await network.add("art.test", registrations=OPEN)
    rt = art.rt
    changes: dict[str, object] = {"registrations.auto_approval_after_hours": 1}
    if mode_row:
        changes["registrations.mode"] = "open"
    async with rt.sessions() as session:
        new = await site_settings.save(rt, session, changes)
        await session.commit()
    site_settings.apply(rt, new)  # no staff account at all: the switch is due at once
    switched = await asyncio.gather(*(check_auto_approval(rt) for _ in range(8)))
    assert switched.count(True) == 1
    async with rt.sessions() as session:
        assert (await site_settings.stored(session))["registrations.mode"] == "approval"
        count = len(list(await session.scalars(select(AuditLog).where(AuditLog.action == "registrations.auto_approval"))))
    assert count == 1 and rt.settings.registrations.mode == "approval"

async def test_missing_or_wrong_csrf_is_refused(network: Network) -> None:
    art = await network.add("art.test", registrations=OPEN)
    async with browser(art) as client:
        _, stamp, _ = await open_form(client)
        missing = await client.post("/signup", data={"stamp": stamp, **fields("nocsrf")})
        assert missing.status_code == 403 and "security token" in missing.text
        wrong = await client.post("/signup", data={"csrf_token": "x" * 43, "stamp": stamp, **fields("nocsrf")})
        assert wrong.status_code == 403
        other_site = await client.post("/signup", data={"stamp": stamp, **fields("nocsrf")},
                                       headers={"Origin": "https://evil.test"})
        assert other_site.status_code == 403
    assert not await _exists(art, "nocsrf")
