"""A real headless Chromium against a real `fediverse serve`: log in, upload a work with alt text, see it.

Needs Debian's `chromium` at /usr/bin/chromium and the Python `playwright` package (its bundled browsers are
never downloaded: we drive the system Chromium); without them the test is skipped, or fails under CI=true
(tests/components.py). Screenshots are left in the test's temporary directory.
"""

from __future__ import annotations

import io
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.backing import backing, clean_env, fediverse, job_worker, stop
from tests.components import CHROMIUM

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "a long browser password"
ALT = "Ink drawing of a heron standing in reeds at dawn"

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]


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


@contextmanager
def running_server(tmp_path: Path, extra_config: str = "", users: tuple[tuple[str, str], ...] = (("alice", "artist"),),
                   media_config: str = "") -> Iterator[str]:
    """`fediverse serve` on a free port with its own config and database (PostgreSQL, with its jobs run by a
    `fediverse worker` through Redis, in the PostgreSQL pass); yields the base URL.
    `users` are (name, role) made with the CLI first, all with PASSWORD; `media_config` goes into [media]."""
    port = _free_port()
    config = tmp_path / "instance.toml"
    with backing(tmp_path) as where:
        config.write_text(f"""
[instance]
domain = "localhost:{port}"
scheme = "http"
name = "Browser test"

[server]
secret_key_file = "secret.key"

[media]
root = "media"
{media_config}

{where.toml()}
{extra_config}
""", encoding="utf-8")
        for name, role in users:
            created = subprocess.run(fediverse(config, "user", "create", name, "--role", role, "--password-stdin"),
                                     input=PASSWORD + "\n", capture_output=True, text=True, timeout=120,
                                     env=clean_env(), cwd=tmp_path)
            assert created.returncode == 0, created.stderr
        with job_worker(config, tmp_path), _serve(tmp_path, config, port) as base:
            yield base
            where.check_used()


@contextmanager
def _serve(tmp_path: Path, config: Path, port: int) -> Iterator[str]:
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(fediverse(config, "serve", "--host", "127.0.0.1", "--port", str(port)), stdout=log,
                               stderr=subprocess.STDOUT, env=clean_env(), cwd=tmp_path)
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
        stop(process)
        log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path) as base:
        yield base


def _playwright():  # type: ignore[no-untyped-def]
    """playwright's sync API, imported only once the `requires("chromium")` mark found it installed."""
    from playwright.sync_api import sync_playwright

    return sync_playwright


def test_artist_logs_in_uploads_a_work_with_alt_text_and_sees_it_on_the_portfolio(server: str, tmp_path: Path) -> None:
    sync_playwright = _playwright()
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
            page.set_input_files("#upload-files", str(image))  # the enhanced form (static/upload.js)
            page.fill("#title", "Heron at dawn")
            page.get_by_role("textbox", name="Alt text").fill(ALT)
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
