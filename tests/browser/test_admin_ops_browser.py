"""An admin runs the instance through a spam wave with only a browser (headless Chromium, real `fediverse serve`):
change the instance settings, clear the quarantine by suspending the spammer, and bring a failing domain back
on the federation health page. Screenshots are left in the test's temporary directory."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from fediverse.config import load_settings
from fediverse.models import QUEUED, Account, DomainHealth, InboundActivity, Job, utcnow
from fediverse.runtime import create_runtime
from tests.backing import clean_env, fediverse
from tests.browser.test_studio_browser import (  # noqa: F401  (server is a fixture)
    CHROMIUM, CHROMIUM_ARGS, PASSWORD, _playwright, server,
)

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]

SPAMMER = "https://spam.test/users/spammer"


async def _seed(config: Path) -> None:
    """What a spam wave and a dead server leave behind: held activities, retrying deliveries, a failure record."""
    rt = create_runtime(load_settings(config, env={}))
    try:
        async with rt.sessions() as session:
            session.add(Account(uri=SPAMMER, handle="spammer@spam.test", username="spammer", domain="spam.test",
                                inbox_url=f"{SPAMMER}/inbox"))
            for n in range(3):
                note = {"id": f"{SPAMMER}/statuses/{n}", "type": "Note", "attributedTo": SPAMMER,
                        "content": '<p>Buy now <a href="https://spam.example/x">spam.example/x</a></p>'}
                session.add(InboundActivity(uri=f"{note['id']}/activity", type="Create", actor_uri=SPAMMER,
                                            raw={"type": "Create", "actor": SPAMMER, "object": note},
                                            quarantine_reason="new account: first seen 0 h ago, no history here"))
            for n in range(2):
                session.add(Job(kind="deliver", payload={"activity": 999_000 + n, "inbox": "https://down.test/inbox"},
                                domain="down.test", state=QUEUED, attempts=1, run_at=utcnow() + timedelta(hours=2),
                                last_error="connect timeout"))
            session.add(DomainHealth(domain="down.test", failure_days=["20261205", "20261206"], unavailable=True,
                                     last_failure_at=utcnow(), last_error="connect timeout"))
            await session.commit()
    finally:
        await rt.close()


def test_admin_changes_settings_clears_the_quarantine_and_revives_a_domain(server: str, tmp_path: Path) -> None:
    sync_playwright = _playwright()
    config = tmp_path / "instance.toml"
    created = subprocess.run(fediverse(config, "user", "create", "boss", "--role", "admin", "--password-stdin"),
                             input=PASSWORD + "\n", capture_output=True, text=True, timeout=120, env=clean_env(),
                             cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    asyncio.run(_seed(config))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"{server}/admin")
            page.fill("#username", "boss")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/admin")
            assert "3 held in quarantine" in page.content()

            page.goto(f"{server}/admin/settings")
            page.fill("#instance-name", "Ink Collective")
            page.fill("#instance-rules", "Be kind\nNo spam")
            page.select_option("#registrations-mode", "closed")
            page.fill("#media-images_per_work", "0")
            page.click("button:has-text('Save settings')")
            assert "Nothing was saved" in page.content() and "greater than 0" in page.content()
            page.screenshot(path=str(tmp_path / "settings-error.png"), full_page=True)
            page.fill("#media-images_per_work", "8")
            page.click("button:has-text('Save settings')")
            page.wait_for_url(f"{server}/admin/settings")
            assert "Saved:" in page.content()
            api = httpx.get(f"{server}/api/v1/instance").json()
            assert api["title"] == "Ink Collective" and api["registrations"] is False
            assert [rule["text"] for rule in api["rules"]] == ["Be kind", "No spam"]

            page.goto(f"{server}/admin/quarantine")
            assert page.locator("article.held").count() == 3 and "3 held from this account" in page.content()
            page.screenshot(path=str(tmp_path / "quarantine.png"), full_page=True)
            page.locator("article.held").first.locator("input[name=reason]").fill("spam wave")
            page.locator("article.held").first.locator("button:has-text('suspend')").click()
            page.wait_for_url(f"{server}/admin/quarantine")
            assert "Discarded 3 held activities and suspended the account." in page.content()
            assert page.locator("article.held").count() == 0

            page.goto(f"{server}/admin/federation")
            row = page.locator('tr[id="domain-down.test"]')
            assert "unavailable" in row.inner_text() and row.locator('[data-figure="retrying"]').inner_text() == "2"
            page.screenshot(path=str(tmp_path / "federation-before.png"), full_page=True)
            row.locator("button:has-text('Mark available')").click()
            page.wait_for_url(f"{server}/admin/federation")
            assert "down.test is available again." in page.content()
            page.locator('tr[id="domain-down.test"]').locator("button:has-text('Retry now')").click()
            page.wait_for_url(f"{server}/admin/federation")
            assert "2 deliveries to down.test will be tried now." in page.content()
            row = page.locator('tr[id="domain-down.test"]')
            assert "unavailable" not in row.inner_text()
            for _ in range(100):  # the server's workers take them at once (the activity is gone: nothing to send)
                page.reload()
                row = page.locator('tr[id="domain-down.test"]')
                figures = {name: row.locator(f'[data-figure="{name}"]').inner_text() for name in ("retrying", "running")}
                if figures == {"retrying": "0", "running": "0"}:  # taken *and* finished, not only taken
                    break
                page.wait_for_timeout(200)
            assert row.locator('[data-figure="retrying"]').inner_text() == "0"
            assert row.locator('[data-figure="running"]').inner_text() == "0"
            assert row.locator('[data-figure="dead"]').inner_text() == "0"  # finished, not given up
            page.screenshot(path=str(tmp_path / "federation-after.png"), full_page=True)

            page.goto(f"{server}/admin/audit-log")
            log = page.content()
            for action in ("settings.change", "quarantine.discard_actor", "federation.mark_available",
                           "federation.retry_now"):
                assert action in log, action
        finally:
            browser.close()
