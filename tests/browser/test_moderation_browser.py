"""Headless Chromium against a real `fediverse serve`: an artist reports an account and cannot open the admin
pages; an admin resolves the report by suspending, blocks a domain and imports a Mastodon CSV blocklist."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.admin.test_domain_blocks import MASTODON_EXPORT
from tests.backing import clean_env, fediverse
from tests.browser.test_studio_browser import (
    CHROMIUM, CHROMIUM_ARGS, PASSWORD, _playwright, server,  # noqa: F401 - fixture
)

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]


def _create(tmp_path: Path, username: str, role: str) -> None:
    done = subprocess.run(fediverse(tmp_path / "instance.toml", "user", "create", username, "--role", role,
                                    "--password-stdin"), input=PASSWORD + "\n", capture_output=True, text=True,
                          timeout=120, env=clean_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def _log_in(page, server: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/studio")


def test_report_suspend_domain_block_and_csv_import_in_a_real_browser(server: str, tmp_path: Path) -> None:  # noqa: F811
    sync_playwright = _playwright()
    _create(tmp_path, "troll", "artist")
    _create(tmp_path, "boss", "admin")
    blocklist = tmp_path / "domain_blocks.csv"
    blocklist.write_bytes(MASTODON_EXPORT)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            artist = browser.new_context().new_page()
            _log_in(artist, server, "alice")
            denied = artist.goto(f"{server}/admin/reports")
            assert denied is not None and denied.status == 403
            artist.goto(f"{server}/@troll")
            artist.click("text=Report @troll")
            artist.select_option("#category", "spam")
            artist.fill("#comment", "Posts scam links under every work")
            artist.click("button:has-text('Send report')")
            artist.wait_for_url(f"{server}/studio")
            assert "the report was sent to the moderators" in artist.content()

            admin = browser.new_context().new_page()
            _log_in(admin, server, "boss")
            admin.goto(f"{server}/admin/reports")
            admin.click("table a[href^='/admin/reports/']")
            assert "Posts scam links under every work" in admin.content()
            admin.check("input[value=suspend]")
            admin.fill("#note", "scam links, confirmed")
            admin.click("button:has-text('Resolve')")
            admin.wait_for_selector("text=resolved: suspend")
            admin.screenshot(path=str(tmp_path / "report-resolved.png"), full_page=True)
            assert httpx.get(f"{server}/@troll", timeout=5).status_code == 410

            admin.goto(f"{server}/admin/domain-blocks")
            admin.fill("#domain", "spam.example")
            admin.select_option("#severity", "suspend")
            admin.fill("#private_comment", "spam wave")
            admin.click("button:has-text('Block')")
            admin.wait_for_selector("text=spam.example is now blocked (suspend)")
            admin.set_input_files("#file", str(blocklist))
            admin.fill("#import-reason", "shared blocklist")
            admin.click("button:has-text('Import')")
            admin.wait_for_selector("text=Imported 3 domain blocks")
            for domain in ("bad.domain", "worse.domain", "reject.media", "spam.example"):
                assert admin.locator(f"a:has-text('{domain}')").count() == 1, domain
            admin.screenshot(path=str(tmp_path / "domain-blocks.png"), full_page=True)
            admin.goto(f"{server}/admin/audit-log")
            log = admin.content()
            assert "report.resolve" in log and "account.suspend" in log and "domain_block.import" in log
        finally:
            browser.close()
