"""An admin themes the instance with only a browser (headless Chromium, real `fediverse serve`): a too-light
accent is refused with its contrast ratio, a readable one then colours the links of the front page in the light
scheme and a lighter shade of it in the dark scheme, and the logo she uploads heads every page. Screenshots are
left in the test's temporary directory."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from fediverse.colour import dark_variant, parse_hex
from tests.browser.test_studio_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, _playwright, running_server

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]

LINK_COLOUR = "getComputedStyle(document.querySelector('body > header a[href=\"/search\"]')).color"


def rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*parse_hex(colour))


def test_admin_sets_a_readable_accent_and_a_logo(tmp_path: Path) -> None:
    sync_playwright = _playwright()
    logo = tmp_path / "logo.png"
    out = io.BytesIO()
    Image.new("RGB", (480, 120), (11, 83, 148)).save(out, "PNG")
    logo.write_bytes(out.getvalue())
    with running_server(tmp_path, users=(("boss", "admin"),)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server}/admin/settings")
            page.fill("#username", "boss")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/admin/settings")

            page.fill("#instance-accent_color", "#ffff66")
            page.click("button:has-text('Save settings')")
            error = page.locator("#instance-accent_color-error")
            assert "Nothing was saved" in page.locator("[role=alert]").inner_text()
            assert error.is_visible() and "too little contrast" in error.inner_text()
            assert "1.06:1" in error.inner_text() and "4.5:1" in error.inner_text()
            assert page.get_attribute("#instance-accent_color", "aria-invalid") == "true"
            page.screenshot(path=str(tmp_path / "accent-refused.png"), full_page=True)
            page.goto(f"{server}/")
            assert page.evaluate(LINK_COLOUR) == rgb("#5b2f94")  # still the default

            page.goto(f"{server}/admin/settings")
            page.fill("#instance-accent_color", "#0b5394")
            page.set_input_files("#logo", str(logo))
            page.click("button:has-text('Save settings')")
            page.wait_for_url(f"{server}/admin/settings")
            assert "Saved:" in page.content()
            button = "getComputedStyle(document.querySelector('form.stack button[type=submit]')).backgroundColor"
            assert page.evaluate(button) == rgb("#0b5394")  # the studio's buttons too

            page.goto(f"{server}/")
            assert page.evaluate(LINK_COLOUR) == rgb("#0b5394")
            header_logo = page.locator("body > header img.logo")
            assert header_logo.get_attribute("alt") == "Browser test"
            assert header_logo.evaluate("img => img.complete && img.naturalWidth > 0")
            page.screenshot(path=str(tmp_path / "front-light.png"), full_page=True)

            page.emulate_media(color_scheme="dark")
            page.reload()
            assert page.evaluate(LINK_COLOUR) == rgb(dark_variant("#0b5394"))
            page.screenshot(path=str(tmp_path / "front-dark.png"), full_page=True)
        finally:
            browser.close()
