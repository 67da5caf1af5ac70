"""A real headless Chromium against a real `fediverse serve`: log in, upload a work with alt text, see it.

Needs Debian's `chromium` at /usr/bin/chromium and the Python `playwright` package (its bundled browsers are
never downloaded: we drive the system Chromium). Screenshots are left in the test's temporary directory.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "a long browser password"
ALT = "Ink drawing of a heron standing in reeds at dawn"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _jpeg(path: Path) -> Path:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (480, 360), (235, 228, 210))
    draw = ImageDraw.Draw(im)
    draw.rectangle((40, 220, 440, 330), fill=(70, 110, 80))
    draw.line((240, 60, 240, 230), fill=(30, 30, 30), width=8)
    draw.ellipse((200, 30, 280, 90), fill=(40, 40, 40))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return path


def _command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "fediverse", "--config", str(config), *args]


def _clean_env() -> dict[str, str]:
    """The server reads only its config file: no FEDIVERSE_* overrides from the test run's environment."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_")}


@contextmanager
def running_server(tmp_path: Path, extra_config: str = "", users: tuple[tuple[str, str], ...] = (("alice", "artist"),)
                   ) -> Iterator[str]:
    """`fediverse serve` on a free port with its own config and database; yields the base URL.
    `users` are (name, role) made with the CLI first, all with PASSWORD."""
    port = _free_port()
    config = tmp_path / "instance.toml"
    config.write_text(f"""
[instance]
domain = "localhost:{port}"
scheme = "http"
name = "Browser test"

[server]
secret_key_file = "secret.key"

[database]
url = "sqlite+aiosqlite:///fediverse.sqlite3"

[media]
root = "media"

[jobs]
backend = "embedded"
{extra_config}
""", encoding="utf-8")
    for name, role in users:
        created = subprocess.run(_command(config, "user", "create", name, "--role", role, "--password-stdin"),
                                 input=PASSWORD + "\n", capture_output=True, text=True, timeout=120,
                                 env=_clean_env(), cwd=tmp_path)
        assert created.returncode == 0, created.stderr
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(_command(config, "serve", "--host", "127.0.0.1", "--port", str(port)), stdout=log,
                               stderr=subprocess.STDOUT, env=_clean_env(), cwd=tmp_path)
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start:\n" + (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path) as base:
        yield base


def _browser_or_skip():  # type: ignore[no-untyped-def]
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install -e '.[test]')")
    return sync_playwright


def test_artist_logs_in_uploads_a_work_with_alt_text_and_sees_it_on_the_portfolio(server: str, tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    image = _jpeg(tmp_path / "heron.jpg")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(f"{server}/studio")
            assert page.url.startswith(f"{server}/login")
            page.fill("#username", "alice")
            page.fill("#password", "not the password")
            page.click("button[type=submit]")
            assert "Wrong username or password." in page.content()
            page.screenshot(path=str(tmp_path / "login-error.png"))

            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/studio")
            assert page.get_by_role("heading", name="Your works").is_visible()

            page.click("text=Upload a work")
            page.wait_for_url(f"{server}/studio/new")
            page.set_input_files("#image1", str(image))
            page.fill("#title", "Heron at dawn")
            page.fill("#alt1", ALT)
            page.fill("#description", "Brush pen on paper. #ink")
            page.select_option("#licence", "https://creativecommons.org/licenses/by-nc-nd/4.0/")
            page.screenshot(path=str(tmp_path / "upload-form.png"), full_page=True)
            page.click("button:has-text('Publish')")
            page.wait_for_url(f"{server}/studio#work-*")
            assert "Published Heron at dawn." in page.content()
            page.screenshot(path=str(tmp_path / "studio.png"), full_page=True)

            page.goto(f"{server}/@alice")
            picture = page.locator(f'img[alt="{ALT}"]')
            picture.first.wait_for()
            assert picture.count() >= 1
            loaded = picture.first.evaluate("img => img.complete && img.naturalWidth > 0")
            assert loaded, "the thumbnail did not load from /media"
            page.screenshot(path=str(tmp_path / "portfolio.png"), full_page=True)
            # Public pages run under the CSP too, and still look right: the page's own styles apply.
            assert page.evaluate("getComputedStyle(document.body).maxWidth") == "1152px"
            page.click(f'img[alt="{ALT}"]')
            page.wait_for_url(f"{server}/@alice/*")
            assert page.locator(f'img[alt="{ALT}"]').first.evaluate("img => img.complete && img.naturalWidth > 0")
            assert page.evaluate("getComputedStyle(document.body).maxWidth") == "1152px"
            page.screenshot(path=str(tmp_path / "work.png"), full_page=True)
            assert not [e for e in errors if "Content Security Policy" in e], errors

            page.goto(f"{server}/studio/profile")
            page.fill("#display_name", "Alice Heron")
            page.click("button:has-text('Save profile')")
            page.wait_for_url(f"{server}/studio/profile")
            assert "Profile saved." in page.content()
            page.screenshot(path=str(tmp_path / "profile.png"), full_page=True)

            # A second browser logged in as alice is listed, and "Log out everywhere else" ends it at once.
            other = browser.new_context(user_agent="Second browser for the test").new_page()
            other.goto(f"{server}/login")
            other.fill("#username", "alice")
            other.fill("#password", PASSWORD)
            other.click("button[type=submit]")
            other.wait_for_url(f"{server}/studio")
            page.click("text=Password and sessions")
            page.wait_for_url(f"{server}/studio/security")
            assert "Second browser for the test" in page.content() and "This browser" in page.content()
            page.screenshot(path=str(tmp_path / "sessions.png"), full_page=True)
            page.click("button:has-text('Log out everywhere else')")
            page.wait_for_url(f"{server}/studio/security")
            assert "Second browser for the test" not in page.content()
            other.goto(f"{server}/studio")
            assert other.url.startswith(f"{server}/login")
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
