"""Instance theming on /admin/settings: an accent colour with too little contrast is refused with its measured ratio
and nothing is written; a good one reaches public and studio pages in both colour schemes (the dark one derived
from it); the logo and the header image go through the thumbnail's upload path, hostile files are refused with a
message and leave nothing half-saved; the description and rules are shown on the front page, escaped."""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from fediverse.colour import DARK_BACKGROUND, DEFAULT_ACCENT, LIGHT_BACKGROUND, dark_variant, mix
from fediverse.models import AuditLog
from fediverse.services import site_settings
from tests.admin.test_settings_page import admin_browser
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import parse
from tests.web.panel_client import PASSWORD, browser, errors_in, jpeg, login, post_form

LIGHT_RE = re.compile(r":root\{[^}]*--accent:(#[0-9a-f]{6})")
DARK_RE = re.compile(r"prefers-color-scheme:\s*dark\)\s*\{\s*:root\{[^}]*--accent:(#[0-9a-f]{6})")


def accents(page: str) -> tuple[str, str]:
    """(light, dark) --accent of a page's :root."""
    light, dark = LIGHT_RE.search(page), DARK_RE.search(page)
    assert light and dark, "the page sets no --accent"
    return light.group(1), dark.group(1)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


def noisy_jpeg(width: int, height: int) -> bytes:
    """A photo-like JPEG that does not compress away (for the size limit)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def media_files(art: Instance) -> set[Path]:
    root = Path(art.rt.settings.media.root)
    return {path for path in root.rglob("*") if path.is_file()}


async def nothing_saved(art: Instance) -> None:
    async with art.rt.sessions() as session:
        assert await site_settings.stored(session) == {}
        assert list(await session.scalars(select(AuditLog))) == []


async def test_a_low_contrast_accent_is_refused_with_its_ratio_and_nothing_is_written(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    files_before = media_files(art)
    async with admin_browser(art) as client:
        refused = await post_form(client, "/admin/settings", "/admin/settings",
                                  {"instance.name": "Half saved", "instance.accent_color": "#FFFF66"},
                                  files={"logo": ("logo.png", png(300, 100), "image/png")})
        assert refused.status_code == 400
        message = errors_in(refused.text)
        assert 'id="instance-accent_color-error"' in refused.text and "Nothing was saved" in refused.text
        assert "too little contrast against the white background: 1.06:1" in message and "4.5:1" in message
        assert 'value="#ffff66"' in refused.text  # what was typed is shown again, to correct
        assert "choose the picture again" in refused.text  # the logo was fine, but a browser does not keep it
        for typed, expected in (("#777777", "4.48:1"), ("purple", "#rrggbb"), ("#fff", "#rrggbb")):
            again = await post_form(client, "/admin/settings", "/admin/settings", {"instance.accent_color": typed})
            assert again.status_code == 400 and expected in errors_in(again.text), typed
            assert "choose the picture again" not in again.text  # none was sent
        assert accents((await client.get("/studio")).text) == (DEFAULT_ACCENT, dark_variant(DEFAULT_ACCENT))
    await nothing_saved(art)
    assert media_files(art) == files_before  # the logo of the refused form was not even stored
    assert art.rt.settings.instance.accent_color == DEFAULT_ACCENT and art.rt.settings.instance.name == "Test art.test"


async def test_a_good_accent_reaches_public_and_studio_pages_in_both_schemes(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    await make_user(art, "alice", password=PASSWORD)
    async with browser(art) as visitor:
        assert accents((await visitor.get("/")).text) == (DEFAULT_ACCENT, dark_variant(DEFAULT_ACCENT))
        await visitor.get("/@alice")  # both now in the response cache
    async with admin_browser(art) as client:
        saved = await post_form(client, "/admin/settings", "/admin/settings", {"instance.accent_color": "#0B5394"})
        assert saved.status_code == 303, errors_in(saved.text)
        form = (await client.get("/admin/settings")).text
        assert 'value="#0b5394"' in form and dark_variant("#0b5394") in form  # both shades shown by the field
    expected = ("#0b5394", dark_variant("#0b5394"))
    assert expected[1] != dark_variant(DEFAULT_ACCENT)
    async with browser(art) as visitor:
        for path in ("/", "/@alice", "/search", "/login"):
            assert accents((await visitor.get(path)).text) == expected, path
        front = (await visitor.get("/")).text
    tiles = re.findall(r"--tile:(#[0-9a-f]{6})", front)  # the grid's tint follows, in both schemes
    assert tiles == [mix("#0b5394", LIGHT_BACKGROUND, 0.10), mix(expected[1], DARK_BACKGROUND, 0.08)]
    async with browser(art) as artist:
        await login(artist, "alice")
        for path in ("/studio", "/studio/new", "/studio/profile"):
            assert accents((await artist.get(path)).text) == expected, path
    async with art.rt.sessions() as session:
        entry = (await session.scalars(select(AuditLog).where(AuditLog.target == "instance.accent_color"))).one()
    assert entry.details == {"old": DEFAULT_ACCENT, "new": "#0b5394"}


async def test_logo_and_header_image_are_uploaded_shown_and_removed(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    async with admin_browser(art) as client:
        saved = await post_form(client, "/admin/settings", "/admin/settings", {"instance.name": "Ink Collective"},
                                files={"logo": ("logo.png", png(1200, 300), "image/png"),
                                       "header_image": ("banner.jpg", jpeg(3000, 1000), "image/jpeg")})
        assert saved.status_code == 303, errors_in(saved.text)
        inst = art.rt.settings.instance
        assert inst.logo_url.startswith("https://art.test/media/") and inst.header_image_url.startswith(
            "https://art.test/media/") and inst.logo_url != inst.header_image_url
        for url, box in ((inst.logo_url, (640, 160)), (inst.header_image_url, (1500, 500))):
            served = await client.get(url.removeprefix(art.base))
            assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
            assert Image.open(io.BytesIO(served.content)).size == box  # shrunk into its box
        studio = parse((await client.get("/studio")).text)
        assert studio.one("img", **{"class": "logo"}).attrs == {"class": "logo", "src": inst.logo_url,
                                                              "alt": "Ink Collective"}
    async with browser(art) as visitor:
        front = parse((await visitor.get("/")).text)
    assert front.one("img", **{"class": "logo"}).attrs["alt"] == "Ink Collective"
    banner = front.one("img", **{"class": "banner"})
    assert banner.attrs["src"] == inst.header_image_url and banner.attrs["alt"] == ""  # decorative: the h1 says it
    async with admin_browser(art) as client:
        removed = await post_form(client, "/admin/settings", "/admin/settings", {"remove_logo": "1"})
        assert removed.status_code == 303
    assert art.rt.settings.instance.logo_url == "" and art.rt.settings.instance.header_image_url == inst.header_image_url
    async with browser(art) as visitor:
        front = parse((await visitor.get("/")).text)
    assert front.all("img", **{"class": "logo"}) == [] and len(front.all("img", **{"class": "banner"})) == 1


async def test_hostile_pictures_are_refused_with_a_message_and_nothing_is_half_saved(network: Network) -> None:
    art = await network.add("art.test", media={"max_upload_bytes": 60_000})
    await make_user(art, "boss", password=PASSWORD, role="admin")
    big = noisy_jpeg(300, 300)
    assert 60_000 < len(big) < 120_000
    async with admin_browser(art) as client:
        for files, field, message in (
            ({"logo": ("logo.png", b"<svg onload=alert(1)>", "image/png")}, "logo", "SVG is not accepted"),
            ({"header_image": ("banner.jpg", b"just some text, not an image", "image/jpeg")}, "header_image",
             "Content is text, not an image"),
            # a good logo beside an oversize header image: neither is saved
            ({"logo": ("logo.png", png(400, 100), "image/png"), "header_image": ("big.jpg", big, "image/jpeg")},
             "header_image", "the limit is 59 KB"),
        ):
            refused = await post_form(client, "/admin/settings", "/admin/settings",
                                      {"instance.name": "Half saved"}, files=files)
            assert refused.status_code == 400, files.keys()
            assert f'id="{field}-error"' in refused.text and message in errors_in(refused.text)
            assert errors_in(refused.text).strip() and "choose the picture again" in refused.text
        # more than the form may carry at all: refused before it is read
        huge = await post_form(client, "/admin/settings", "/admin/settings", {},
                               files={"header_image": ("huge.jpg", b"\xff" * 1_400_000, "image/jpeg")})
        assert huge.status_code == 413 and "too large" in huge.text
    await nothing_saved(art)
    assert art.rt.settings.instance.logo_url == "" and art.rt.settings.instance.header_image_url == ""
    assert art.rt.settings.instance.name == "Test art.test"


async def test_description_and_rules_are_shown_escaped_on_the_front_page_in_both_layouts(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    description = "Printmakers <script>alert(1)</script> & friends\nSince 2024"
    rules = "No <i>AI</i> work\r\n\r\n  Be kind & fair  \r\n<img src=x onerror=alert(2)>\r\n"
    async with admin_browser(art) as client:
        saved = await post_form(client, "/admin/settings", "/admin/settings",
                                {"instance.description": description, "instance.rules": rules})
        assert saved.status_code == 303, errors_in(saved.text)
    for layout in ("works", "artists"):
        if layout == "artists":
            async with admin_browser(art) as client:
                assert (await post_form(client, "/admin/settings", "/admin/settings",
                                        {"instance.front_page": "artists"})).status_code == 303
        async with browser(art) as visitor:
            page = (await visitor.get("/")).text
        assert "<script>" not in page and "<i>" not in page and "<img src=x" not in page, layout
        assert "Printmakers &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends\nSince 2024" in page, layout
        listed = re.search(r'<ol class="rules"[^>]*>(.*?)</ol>', page, re.S)
        assert listed, layout
        items = re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)
        assert [html.unescape(item) for item in items] == ["No <i>AI</i> work", "Be kind & fair",
                                                           "<img src=x onerror=alert(2)>"], layout
        intro = page.index('class="intro"')
        assert intro < page.index("Printmakers", intro) < page.index('class="rules"'), layout
        if layout == "works":
            assert page.index('class="rules"') < page.index('id="recent-heading"')  # above the grid
