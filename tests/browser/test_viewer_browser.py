"""The work viewer in a real headless Chromium against a real `fediverse serve`: a visitor opens a three-image
work full screen with the keyboard, steps, zooms, reads the alt text, sees the licence, closes with Esc and is
back where she was; the viewer shows the large rendition; a swipe steps; without JavaScript the images are
plain links to the large files. Screenshots are left in the test's temporary directory.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.backing import clean_env, fediverse
from tests.browser.test_studio_browser import CHROMIUM_ARGS, _playwright, running_server
from tests.components import CHROMIUM

pytestmark = [pytest.mark.slow, pytest.mark.requires("chromium")]

# Three shapes, each larger than the display rendition (1280 px), so the large file is a different one.
SHAPES = (("wide", (1800, 1200), (200, 120, 60)), ("tall", (1200, 1800), (40, 90, 160)),
          ("square", (1500, 1500), (60, 140, 80)))
ALTS = {"wide": "A wide ochre landscape with one dark tree",
        "tall": "A tall blue waterfall between grey rocks",
        "square": "A square green field seen from above"}


def _picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(im)
    w, h = size
    draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(240, 235, 220))
    draw.line((0, h, w, 0), fill=(20, 20, 20), width=12)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    path.write_bytes(out.getvalue())
    return path


def _post(tmp_path: Path, title: str, names: tuple[str, ...]) -> None:
    args = ["post", "alice", "--title", title, "--license", "https://creativecommons.org/licenses/by-nc-nd/4.0/"]
    for name in names:
        size, colour = next((s, c) for n, s, c in SHAPES if n == name)
        args += ["--image", str(_picture(tmp_path / f"{name}.jpg", size, colour)), "--alt", ALTS[name]]
    done = subprocess.run(fediverse(tmp_path / "instance.toml", *args), capture_output=True, text=True, timeout=180,
                          env=clean_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def _loaded(page: Any, selector: str) -> str:
    """The currentSrc of the image at `selector` once it has finished loading."""
    page.wait_for_function("s => { const i = document.querySelector(s); "
                           "return i && i.complete && i.naturalWidth > 0 && i.currentSrc; }", arg=selector,
                           timeout=15_000)
    return str(page.eval_on_selector(selector, "img => img.currentSrc"))


def test_visitor_opens_steps_zooms_and_closes_the_viewer_with_the_keyboard(tmp_path: Path) -> None:
    sync_playwright = _playwright()
    with running_server(tmp_path) as server:
        _post(tmp_path, "Three places", ("wide", "tall", "square"))
        _post(tmp_path, "One more", ("tall",))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                errors: list[str] = []
                page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
                fetched: list[str] = []
                page.on("requestfinished", lambda request: fetched.append(request.url))

                # The portfolio: justified tiles in each work's own shape, a badge on the three-image work.
                page.goto(f"{server}/@alice")
                tiles = page.locator("ul.grid > li")
                assert tiles.count() == 2
                page.wait_for_function("() => [...document.querySelectorAll('ul.grid img')]"
                                       ".every(i => i.complete && i.naturalWidth > 0)")
                boxes = [tiles.nth(i).bounding_box() for i in range(2)]
                assert boxes[0] and boxes[1]
                assert abs(boxes[0]["height"] - boxes[1]["height"]) < 2  # one row, one height
                # newest first: the tall work stays 2:3, the wide one (cover of the three-image work) 3:2
                assert abs(boxes[0]["width"] / boxes[0]["height"] - 2 / 3) < 0.05
                assert abs(boxes[1]["width"] / boxes[1]["height"] - 1.5) < 0.05
                assert page.locator("ul.grid .badge", has_text="3 images").count() == 1
                page.screenshot(path=str(tmp_path / "portfolio.png"), full_page=True)

                page.click("text=Three places")
                page.wait_for_url(f"{server}/@alice/*")
                links = page.locator("a.work-image")
                assert links.count() == 3
                hrefs = [links.nth(i).get_attribute("href") or "" for i in range(3)]
                displays = [links.nth(i).locator("img").get_attribute("src") or "" for i in range(3)]
                assert all(h.startswith(f"{server}/media/") for h in hrefs) and set(hrefs).isdisjoint(displays)
                # the page itself shows the display rendition: a portrait image at most 90vh tall needs no more
                links.nth(1).scroll_into_view_if_needed()
                assert _loaded(page, "figure#image-2 img") == displays[1]

                # Open with the keyboard: Enter on the focused image link.
                links.first.focus()
                page.keyboard.press("Enter")
                dialog = page.locator("dialog#viewer")
                page.wait_for_function("() => document.getElementById('viewer').open")
                assert page.evaluate("document.getElementById('viewer').contains(document.activeElement)")
                assert page.url.endswith(page.url.split("/")[-1]) and "/media/" not in page.url  # not navigated
                assert _loaded(page, "#viewer .stage img") == hrefs[0]  # the LARGE rendition
                assert hrefs[0] in fetched
                assert dialog.locator(".position").inner_text() == "Image 1 of 3"
                licence = dialog.locator(".licence")
                assert licence.is_visible() and "CC BY-NC-ND 4.0" in licence.inner_text()
                assert "AI" in licence.inner_text()  # the consent line travels with the image
                page.screenshot(path=str(tmp_path / "viewer-1.png"))

                # Step with ArrowRight.
                page.keyboard.press("ArrowRight")
                assert dialog.locator(".position").inner_text() == "Image 2 of 3"
                assert _loaded(page, "#viewer .stage img") == hrefs[1]
                assert page.eval_on_selector("#viewer .stage img", "img => img.alt") == ALTS["tall"]

                # Zoom: the + key, the button, the wheel; the image grows and can be moved.
                stage_img = dialog.locator(".stage img")
                before = stage_img.bounding_box()
                assert before
                page.keyboard.press("+")
                dialog.get_by_role("button", name="Zoom in").click()
                after = stage_img.bounding_box()
                assert after and after["width"] > before["width"] * 1.5
                zoom = float(dialog.get_attribute("data-zoom") or 0)
                assert zoom > 1.5
                stage = dialog.locator(".stage").bounding_box()
                assert stage
                page.mouse.move(stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
                page.mouse.wheel(0, -300)
                page.wait_for_function(f"() => Number(document.getElementById('viewer').dataset.zoom) > {zoom}")
                assert page.evaluate("(() => { const s = document.querySelector('#viewer .stage');"
                                     " return s.scrollWidth > s.clientWidth; })()")
                page.screenshot(path=str(tmp_path / "viewer-zoomed.png"))
                page.keyboard.press("0")
                assert dialog.get_attribute("data-zoom") == "1.00"

                # The alt text on demand.
                alt_text = dialog.locator(".alt-text")
                assert not alt_text.is_visible()
                toggle = dialog.get_by_role("button", name="Alt text")
                toggle.click()
                assert alt_text.is_visible() and alt_text.inner_text() == ALTS["tall"]
                assert toggle.get_attribute("aria-expanded") == "true"
                assert licence.is_visible()
                page.screenshot(path=str(tmp_path / "viewer-alt.png"))

                # Esc closes; focus is back on the link that opened the viewer.
                page.keyboard.press("Escape")
                page.wait_for_function("() => !document.getElementById('viewer').open")
                assert page.evaluate("document.activeElement === document.querySelector('a.work-image')")
                assert not [e for e in errors if "Content Security Policy" in e], errors

                # On a phone: a swipe steps to the next image; the stage fills the screen, nothing scrolls sideways.
                phone = browser.new_page(viewport={"width": 360, "height": 800})
                phone.goto(page.url)
                phone.locator("a.work-image").first.click()
                phone.wait_for_function("() => document.getElementById('viewer').open")
                _loaded(phone, "#viewer .stage img")
                box = phone.locator("#viewer .stage").bounding_box()
                assert box and box["width"] == 360
                phone.mouse.move(box["x"] + 300, box["y"] + box["height"] / 2)
                phone.mouse.down()
                phone.mouse.move(box["x"] + 150, box["y"] + box["height"] / 2, steps=5)
                phone.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2, steps=5)
                phone.mouse.up()
                assert phone.locator("#viewer .position").inner_text() == "Image 2 of 3"
                assert _loaded(phone, "#viewer .stage img") == hrefs[1]
                assert phone.evaluate("document.documentElement.scrollWidth") <= 360
                phone.screenshot(path=str(tmp_path / "viewer-phone.png"))
                phone.keyboard.press("Escape")
                phone = browser.new_page(viewport={"width": 360, "height": 800})  # nothing cached yet
                phone.goto(f"{server}/@alice")  # the grid on a phone: the small files, nothing sideways
                phone.wait_for_function("() => [...document.querySelectorAll('ul.grid img')]"
                                        ".every(i => i.complete && i.naturalWidth > 0)")
                assert phone.evaluate("document.documentElement.scrollWidth") <= 360
                chosen = phone.eval_on_selector_all("ul.grid img", "imgs => imgs.map(i => i.currentSrc)")
                thumbnails = phone.eval_on_selector_all("ul.grid img", "imgs => imgs.map(i => i.src)")
                assert chosen == thumbnails, (chosen, thumbnails)  # at 360 px (1x) the thumbnails are enough
                phone.screenshot(path=str(tmp_path / "portfolio-phone.png"), full_page=True)

                # Without JavaScript: the image is a plain link to the large file.
                plain = browser.new_context(java_script_enabled=False).new_page()
                plain.goto(page.url)
                plain.locator("a.work-image").nth(1).click()
                plain.wait_for_url(hrefs[1])
            finally:
                browser.close()
