"""Real headless Chromium: a newcomer signs up (the proof-of-work script runs under the page's CSP), waits,
and an admin approves them from the queue. Screenshots are left in the test's temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_studio_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, _playwright, running_server

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]

def test_newcomer_signs_up_and_an_admin_approves_them(tmp_path: Path) -> None:
    sync_playwright = _playwright()
    extra = '[registrations]\nmode = "approval"\nmin_fill_seconds = 2\nproof_of_work_bits = 12\n'
    with running_server(tmp_path, extra, users=(("boss", "admin"),)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        errors: list[str] = []
        try:
            newcomer = browser.new_context().new_page()
            newcomer.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            newcomer.goto(server)
            newcomer.click("a[href='/signup']")
            newcomer.wait_for_url(f"{server}/signup")
            box = newcomer.locator("#website").bounding_box()
            assert box is None or box["x"] < 0  # the honeypot is off-screen for people
            newcomer.fill("#username", "heron")
            newcomer.fill("#email", "heron@mail.example")
            newcomer.fill("#password", PASSWORD)
            newcomer.fill("#password_confirm", PASSWORD)
            newcomer.fill("#reason", "I draw water birds in ink")
            newcomer.wait_for_function("document.getElementById('nonce').value !== ''", timeout=60_000)
            assert "Puzzle solved." in newcomer.content()
            newcomer.wait_for_timeout(2100)  # a person takes longer than min_fill_seconds anyway
            newcomer.screenshot(path=str(tmp_path / "signup-form.png"), full_page=True)
            newcomer.click("button:has-text('Sign up')")
            newcomer.wait_for_load_state()
            assert "waiting for approval" in newcomer.content(), newcomer.content()
            newcomer.goto(f"{server}/login")
            newcomer.fill("#username", "heron")
            newcomer.fill("#password", PASSWORD)
            newcomer.click("button[type=submit]")
            assert "waiting for a moderator" in newcomer.content()

            admin = browser.new_context().new_page()
            admin.goto(f"{server}/login?next=/admin/signups")
            admin.fill("#username", "boss")
            admin.fill("#password", PASSWORD)
            admin.click("button[type=submit]")
            admin.wait_for_url(f"{server}/admin/signups")
            assert "I draw water birds in ink" in admin.content()
            admin.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
            admin.fill("input[id^='approve-']", "welcome aboard")
            admin.click("button:has-text('Approve @heron')")
            admin.wait_for_url(f"{server}/admin/signups")
            assert "Approved @heron" in admin.content()

            newcomer.goto(f"{server}/login")
            newcomer.fill("#username", "heron")
            newcomer.fill("#password", PASSWORD)
            newcomer.click("button[type=submit]")
            newcomer.wait_for_url(f"{server}/studio")
            newcomer.goto(f"{server}/@heron")
            assert newcomer.title() and "No such" not in newcomer.content()
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
