"""The enhanced upload form in a real headless Chromium against a real `fediverse serve`: three files picked at
once, one refused by the server with its reason next to it, alt text required, order changed with the buttons,
focal point by clicking the preview, upload progress shown, and the work published in the chosen order.

Screenshots are left in the test's temporary directory.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.browser.test_studio_browser import CHROMIUM_ARGS, PASSWORD, _playwright, running_server
from tests.components import CHROMIUM

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]

RED = "A red kite circling over a field, wings spread"
HUGE = "A grey test card, far too many pixels"
BLUE = "A blue evening sky over a dark hill"


def _image(path: Path, size: tuple[int, int], colour: tuple[int, int, int], fmt: str) -> Path:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, colour)
    ImageDraw.Draw(im).rectangle((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(250, 250, 250))
    out = io.BytesIO()
    im.save(out, fmt)
    path.write_bytes(out.getvalue())
    return path


def _log_in(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/studio")


def test_three_files_one_refused_alt_required_reordered_and_published_in_that_order(tmp_path: Path) -> None:
    red = _image(tmp_path / "red.jpg", (480, 320), (190, 40, 30), "JPEG")
    huge = _image(tmp_path / "huge.png", (1200, 1000), (120, 120, 120), "PNG")  # 1.2 MP: the server allows 1 MP
    blue = _image(tmp_path / "blue.jpg", (320, 480), (30, 60, 170), "JPEG")
    sync_playwright = _playwright()
    with running_server(tmp_path, media_config="max_pixels = 1000000") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            problems: list[str] = []
            # Script errors and CSP refusals (the refused upload's 400 is logged too, and is expected).
            page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            _log_in(page, server)
            page.goto(f"{server}/studio/new")
            assert page.locator("#image1").is_hidden()  # the numbered slots give way to the uploader
            page.set_input_files("#upload-files", [str(red), str(huge), str(blue)])
            items = page.locator(".upload-item")
            assert items.count() == 3
            page.wait_for_function("() => [...document.querySelectorAll('.upload-item img')]"
                                   ".every(i => i.complete && i.naturalWidth > 0)")  # previews from object URLs
            assert page.get_by_role("heading", name="Image 1 of 3").is_visible()
            page.fill("#title", "Kite and sky")
            page.fill("#description", "Two studies. #sky")
            page.select_option("#licence", "https://creativecommons.org/licenses/by-nc-nd/4.0/")
            items.nth(0).get_by_role("textbox", name="Alt text").fill(RED)
            items.nth(1).get_by_role("textbox", name="Alt text").fill(HUGE)
            page.evaluate("""() => { const bar = document.getElementById('upload-bar'); window.seen = [];
                new MutationObserver(() => window.seen.push([bar.value, bar.max])).observe(bar, {attributes: true});
                const busy = document.querySelector('.processing-bar'); window.processing = [];
                new MutationObserver(() => window.processing.push(busy.hidden)).observe(busy, {attributes: true}); }""")

            # Publishing without the third alt text is stopped in the page, with the reason next to the image.
            page.click("button:has-text('Publish')")
            assert "Alt text is required" in items.nth(2).locator(".field-error").inner_text()
            assert "Write alt text for every image" in page.locator(".upload-message").inner_text()
            assert page.evaluate("window.seen") == [] and page.url == f"{server}/studio/new"
            assert page.evaluate("document.activeElement === document.querySelectorAll('.upload-alt')[2]")
            page.screenshot(path=str(tmp_path / "upload-alt-required.png"), full_page=True)

            # The server refuses the too-large image; its reason shows next to it, and everything else stays.
            items.nth(2).get_by_role("textbox", name="Alt text").fill(BLUE)
            page.click("button:has-text('Publish')")
            refused = items.nth(1).locator(".field-error")
            refused.wait_for()
            page.wait_for_function("() => document.querySelector('.upload-item.refused') !== null")
            reason = refused.inner_text()
            assert "1200x1000" in reason and "over the 1 MP limit" in reason, reason
            assert "One image was refused" in page.locator(".upload-message").inner_text()
            assert items.count() == 3 and page.input_value("#title") == "Kite and sky"
            assert [items.nth(i).locator("textarea").input_value() for i in (0, 2)] == [RED, BLUE]
            assert page.evaluate("document.querySelector('#description').value") == "Two studies. #sky"
            # The upload progress bar was shown and reached its end before the processing indicator.
            assert page.evaluate("window.seen.length") >= 1
            assert page.evaluate("(() => { const b = document.getElementById('upload-bar');"
                                 " return b.max > 1 && b.value === b.max; })()")
            assert page.locator("#upload-bar").is_visible()
            assert page.evaluate("window.processing") == [False, True]  # "Processing…" while the server worked
            page.screenshot(path=str(tmp_path / "upload-refused.png"), full_page=True)

            # Focal point by clicking the preview: the top right quarter of the blue image.
            preview = items.nth(2).locator("img")
            box = preview.bounding_box()
            assert box is not None
            preview.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.25})
            assert float(items.nth(2).locator(".focal-x").input_value()) == pytest.approx(0.5, abs=0.05)
            assert float(items.nth(2).locator(".focal-y").input_value()) == pytest.approx(0.5, abs=0.05)
            assert items.nth(2).locator(".focal-dot").is_visible()

            # Remove the refused file and put the blue image first, with the keyboard-reachable buttons.
            page.get_by_role("button", name="Remove huge.png").click()
            assert items.count() == 2
            names = "() => [...document.querySelectorAll('.upload-name')].map(n => n.textContent)"
            page.set_viewport_size({"width": 1200, "height": 1600})  # the mouse drags within the viewport only
            page.evaluate("() => window.scrollTo(0, 0)")
            items.nth(1).locator(".upload-preview").drag_to(items.nth(0), target_position={"x": 20, "y": 5})
            assert page.evaluate(names) == ["blue.jpg", "red.jpg"]  # dragged above
            page.get_by_role("button", name="Move down: blue.jpg").click()
            assert page.evaluate(names) == ["red.jpg", "blue.jpg"]
            page.get_by_role("button", name="Move up: blue.jpg").focus()
            page.keyboard.press("Enter")
            assert items.nth(0).locator(".upload-name").inner_text() == "blue.jpg"
            assert page.get_by_role("heading", name="Image 1 of 2").is_visible()
            page.screenshot(path=str(tmp_path / "upload-reordered.png"), full_page=True)
            page.click("button:has-text('Publish')")
            page.wait_for_url(f"{server}/studio#work-*")
            assert "Published Kite and sky." in page.content()
            public_id = page.url.split("#work-")[1]

            page.goto(f"{server}/@alice/{public_id}")
            alts = page.locator("main img").evaluate_all("imgs => imgs.map(i => i.alt)")
            assert [a for a in alts if a in (RED, BLUE, HUGE)] == [BLUE, RED]
            page.screenshot(path=str(tmp_path / "upload-published.png"), full_page=True)
            assert not problems, problems
        finally:
            browser.close()


def test_a_non_image_is_refused_in_the_page_and_the_form_still_works_without_javascript(tmp_path: Path) -> None:
    red = _image(tmp_path / "red.jpg", (480, 320), (190, 40, 30), "JPEG")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture", encoding="utf-8")
    sync_playwright = _playwright()
    with running_server(tmp_path) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 800})
            _log_in(page, server)
            page.goto(f"{server}/studio/new")
            page.set_input_files("#upload-files", [str(notes)])
            item = page.locator(".upload-item")
            assert "not an image (text/plain)" in item.locator(".field-error").inner_text()
            page.screenshot(path=str(tmp_path / "upload-phone-refused.png"), full_page=True)
            page.click("button:has-text('Publish')")
            assert "Choose at least one image." in page.locator(".upload-message").inner_text()
            # The uploader fits a phone (the rest of the form's widths are the responsive work's, issue 17).
            widest = page.evaluate("() => Math.max(...[...document.querySelectorAll('.uploader, .uploader *')]"
                                   ".map(e => e.getBoundingClientRect().right))")
            assert widest <= 360, widest

            plain = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900}).new_page()
            _log_in(plain, server)
            plain.goto(f"{server}/studio/new")
            assert plain.locator(".uploader").is_hidden()
            plain.set_input_files("#image1", str(red))
            plain.fill("#alt1", RED)
            plain.fill("#title", "Without script")
            plain.click("button:has-text('Publish')")
            plain.wait_for_url(f"{server}/studio#work-*")
            assert "Published Without script." in plain.content()
        finally:
            browser.close()
