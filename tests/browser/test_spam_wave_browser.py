"""A sign-up spam wave against a real `fediverse serve`, cleared by staff in a real headless Chromium.

Forty scripted sign-ups from one address (each with a fresh, valid form, as a bot that parses the page would
send): the per-address limit lets five into the approval queue and answers the rest 429 with Retry-After. A
moderator rejects the five with a message; an admin blocks the bots' e-mail domain and switches sign-ups to
invite-only; the audit log shows who did what; the artist who watched cannot open any of it.
Screenshots are left in the test's temporary directory.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.browser.test_studio_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, _playwright, running_server

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]

WAVE = 40
PER_ADDRESS = 5
FIELD = re.compile(r'name="(csrf_token|stamp)" value="([^"]+)"')


def _bot_wave(server: str) -> tuple[Counter[int], set[int]]:
    """Each bot opens the form (own cookie jar, same address), waits out min_fill_seconds, and posts it."""
    bots = [httpx.Client(base_url=server, timeout=30) for _ in range(WAVE)]
    try:
        forms = [dict(FIELD.findall(bot.get("/signup").text)) for bot in bots]
        time.sleep(1.2)
        statuses: Counter[int] = Counter()
        waits: set[int] = set()
        for n, (bot, form) in enumerate(zip(bots, forms)):
            answer = bot.post("/signup", data={
                **form, "username": f"cheapart{n}", "email": f"cheapart{n}@spam.example", "password": PASSWORD,
                "password_confirm": PASSWORD, "accept_rules": "1", "reason": "buy followers", "website": ""})
            statuses[answer.status_code] += 1
            if answer.status_code == 429:
                waits.add(int(answer.headers["retry-after"]))
        return statuses, waits
    finally:
        for bot in bots:
            bot.close()


def _log_in(page, server: str, username: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_sign_up_wave_is_capped_queued_and_cleared_by_staff(tmp_path: Path) -> None:
    sync_playwright = _playwright()
    extra = (f'[registrations]\nmode = "approval"\nmin_fill_seconds = 1\nattempts_per_hour_per_ip = {PER_ADDRESS}\n'
             'daily_cap = 0\nauto_approval_after_hours = 0\n')
    users = (("boss", "admin"), ("mod", "moderator"), ("alice", "artist"))
    with running_server(tmp_path, extra, users=users) as server, sync_playwright() as p:
        statuses, waits = _bot_wave(server)
        assert statuses == Counter({200: PER_ADDRESS, 429: WAVE - PER_ADDRESS}), statuses  # 200: "waiting" page
        assert waits and all(0 < wait <= 3600 for wait in waits)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            mod = browser.new_context().new_page()
            _log_in(mod, server, "mod", "/admin")
            mod.wait_for_url(f"{server}/admin")
            assert f"{PER_ADDRESS} sign-ups waiting" in mod.content()
            mod.click("a[href='/admin/signups']")
            mod.wait_for_url(f"{server}/admin/signups")
            queue = mod.content()
            assert queue.count("buy followers") == PER_ADDRESS and "127.0.0.1" in queue
            mod.screenshot(path=str(tmp_path / "wave-queue.png"), full_page=True)
            mod.fill("#wave-1", "spam wave of 6 December")  # one form for the whole wave from that address
            mod.click(f"button:has-text('Reject all {PER_ADDRESS} from 127.0.0.1')")
            mod.wait_for_url(f"{server}/admin/signups")
            assert f"Rejected {PER_ADDRESS} sign-ups from 127.0.0.1" in mod.content()
            assert "buy followers" not in mod.content()
            assert mod.goto(f"{server}/admin/settings").status == 403  # instance settings are for admins

            admin = browser.new_context().new_page()
            _log_in(admin, server, "boss", "/admin/email-blocks")
            admin.wait_for_url(f"{server}/admin/email-blocks")
            admin.fill("#domain", "spam.example")
            admin.click("button:has-text('Block')")
            admin.wait_for_url(f"{server}/admin/email-blocks")
            assert "Unblock spam.example" in admin.content()
            admin.goto(f"{server}/admin/settings")
            admin.select_option("#registrations-mode", "invite")
            admin.click("button:has-text('Save settings')")
            admin.wait_for_url(f"{server}/admin/settings")
            assert httpx.get(f"{server}/api/v1/instance").json()["invites_enabled"] is True  # live, no restart
            admin.goto(f"{server}/admin/audit-log")
            log = admin.content()
            assert log.count("spam wave of 6 December") == PER_ADDRESS and "@mod" in log and "@boss" in log
            admin.screenshot(path=str(tmp_path / "wave-audit.png"), full_page=True)

            artist = browser.new_context().new_page()
            _log_in(artist, server, "alice", "/studio")
            artist.wait_for_url(f"{server}/studio")
            for path in ("/admin", "/admin/signups", "/admin/audit-log", "/admin/settings"):
                assert artist.goto(f"{server}{path}").status == 403, path
        finally:
            browser.close()
