"""The portfolio grid and the work page as the browser receives them (web/gallery.py, templates/_grid.html,
templates/work.html): each tile keeps its work's shape unless the artist chose a focal point, offers its three
renditions with `sizes`, announces its size (no layout shift), loads lazily after the first row; a sensitive
tile gives away neither image nor colours; without a script every work image is a plain link to its large file.
"""

from __future__ import annotations

import io
import re

from PIL import Image

from fediverse.db import accounts as account_db
from fediverse.services import works as work_service
from fediverse.services.works import WorkInput
from fediverse.web import gallery
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import Element, parse, post_work


def ratio_of(tile: Element) -> float:
    match = re.match(r"--ar:([0-9.]+)", tile.attrs.get("style", ""))
    assert match, tile.attrs
    return float(match.group(1))


async def size_of(client, url: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    response = await client.get(url)
    assert response.status_code == 200, url
    return Image.open(io.BytesIO(response.content)).size


async def choose_focal_point(art: Instance, public_id: str, title: str, point: tuple[float, float]) -> None:
    async with art.rt.sessions() as session:
        user = await account_db.local_user(session, "alice")
        assert user is not None
        await work_service.edit_work(art.rt, session, user, public_id, WorkInput(title=title), focal_points=[point])
    await art.network.drain()


async def test_portfolio_tiles_keep_their_shape_offer_three_renditions_and_load_lazily_after_the_first_row(
        network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice")
    # oldest first; the grid shows them newest first
    shapes = [("Square field", (300, 300)), ("Cropped dune", (480, 240)), ("Warning", (480, 240)),
              ("Wide sea", (480, 240)), ("Tall tower", (240, 360)), ("Three birds", (320, 240))]
    works = {}
    for n, (title, size) in enumerate(shapes):
        alts = ("One", "Two", "Three") if title == "Three birds" else (f"Alt of {title}",)
        extra = {"content_warning": "eye surgery"} if title == "Warning" else {}
        works[title] = await post_work(art, "alice", title=title, size=size, alts=alts, seed=n + 1, **extra)
    await choose_focal_point(art, works["Cropped dune"].public_id, "Cropped dune", (0.5, -0.2))

    async with art.client() as client:
        html = (await client.get("/@alice")).text
        page = parse(html)
        [grid_start] = [n for n, e in enumerate(page.elements) if e.tag == "ul" and e.attrs.get("class") == "grid"]
        tiles = [e for e in page.elements[grid_start:] if e.tag == "li"]
        assert len(tiles) == 6
        ratios = [ratio_of(t) for t in tiles]
        # newest first: 4:3, 2:3, 2:1, the warning (no shape given away), the chosen crop (square), 1:1
        assert ratios == [1.333, 0.667, 2.0, 1.0, 1.0, 1.0]
        images = [img for img in page.all("img") if "/media/" in img.attrs.get("src", "")]
        assert [img.attrs["alt"] for img in images] == ["One", "Alt of Tall tower", "Alt of Wide sea",
                                                        "Alt of Cropped dune", "Alt of Square field"]
        # the crop only where the artist chose a focal point, centred on it
        cropped = [img for img in images if img.attrs.get("class") == "crop"]
        assert [img.attrs["alt"] for img in cropped] == ["Alt of Cropped dune"]
        assert cropped[0].attrs["style"] == "object-position:75% 60%"
        # each tile: three renditions by width, sizes for phones and wider screens, its size announced
        for img in images:
            entries = [entry.rsplit(" ", 1) for entry in img.attrs["srcset"].split(", ")]
            widths = [int(width.removesuffix("w")) for _url, width in entries]
            assert widths == sorted(set(widths)) and img.attrs["src"] == entries[0][0]  # each width once
            assert "(max-width: 40rem)" in img.attrs["sizes"]
            assert int(img.attrs["width"]) > 0 and int(img.attrs["height"]) > 0
        wide = images[2]  # 480x240: a 400 px thumbnail; display and large are the same 480 px (offered once)
        assert [w for _u, w in (e.rsplit(" ", 1) for e in wide.attrs["srcset"].split(", "))] == ["400w", "480w"]
        for url, width in (entry.rsplit(" ", 1) for entry in wide.attrs["srcset"].split(", ")):
            actual = await size_of(client, url)
            assert actual[0] == int(width.removesuffix("w")) and actual[0] == 2 * actual[1]  # what srcset says
        assert (await size_of(client, wide.attrs["src"])) == (int(wide.attrs["width"]), int(wide.attrs["height"]))
    # the first row (ratios up to the widest row) loads at once, the rest lazily
    loading = [img.attrs["loading"] for img in images]
    eager = gallery.first_row([1.333, 0.667, 2.0, 1.0, 1.0, 1.0])
    assert eager == 5 and loading == ["eager"] * 4 + ["lazy"]  # the warning tile (4th) has no image
    # BlurHash colours under every image, none under the warning; the badge on the three-image work
    assert all("linear-gradient" in t.attrs["style"] for n, t in enumerate(tiles) if n != 3)
    assert "linear-gradient" not in tiles[3].attrs["style"]
    assert html.count('<span class="badge multi">3 images</span>') == 1 and html.count('class="badge multi"') == 1


async def test_many_tiles_past_the_first_row_load_lazily(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice")
    for n in range(8):
        await post_work(art, "alice", title=f"Study {n}", size=(320, 240), seed=n + 1)
    async with art.client() as client:
        html = (await client.get("/@alice")).text
    loading = [img.attrs["loading"] for img in parse(html).all("img") if "/media/" in img.attrs.get("src", "")]
    assert loading == ["eager"] * 4 + ["lazy"] * 4  # four 4:3 tiles fill a 72rem row of 14rem height
    assert 'class="badge' not in html  # single images, nothing pinned: no badge


async def test_work_page_images_are_links_to_their_large_files_and_the_viewer_is_our_own_script(
        network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice")
    work = await post_work(art, "alice", title="Pair", size=(1600, 1000), alts=("Left fox", "Right fox"), seed=3,
                           license_url="https://creativecommons.org/licenses/by-nc-nd/4.0/")
    async with art.client() as client:
        response = await client.get(art.rt.uris.work_page("alice", work.public_id))
        page = parse(response.text)
        links = page.all("a", **{"class": "work-image"})
        assert [link.attrs["href"] for link in links] == [art.rt.uris.media(i.large_key) for i in work.images]
        for link, image in zip(links, work.images):
            assert (await size_of(client, link.attrs["href"])) == (image.large_width, image.large_height)
            assert (int(link.attrs["data-width"]), int(link.attrs["data-height"])) == (image.large_width,
                                                                                        image.large_height)
        figure_images = [img for img in page.all("img") if img.attrs.get("alt") in ("Left fox", "Right fox")]
        assert [img.attrs.get("loading") for img in figure_images] == [None, "lazy"]
        for img, image in zip(figure_images, work.images):  # 1600x1000: display 1280 px wide, large 1600 px
            assert (img.attrs["width"], img.attrs["height"]) == ("1280", "800")
            assert img.attrs["srcset"] == (f"{art.rt.uris.media(image.display_key)} 1280w, "
                                           f"{art.rt.uris.media(image.large_key)} 1600w")
        # one script: ours, deferred; no inline code (the JSON-LD block is data); the CSP allows only our files
        scripts = [s for s in page.all("script") if s.attrs.get("type") != "application/ld+json"]
        assert [(s.attrs.get("src"), "defer" in s.attrs, s.text) for s in scripts] == [("/static/viewer.js", True, "")]
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
        script = await client.get("/static/viewer.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        # the viewer's dialog carries the licence and consent line (closed until a script opens it)
        dialog = page.one("dialog", id="viewer")
        assert "open" not in dialog.attrs
        assert response.text.count("CC BY-NC-ND 4.0") >= 2
        # a page without the viewer keeps scripts off entirely
        portfolio = await client.get("/@alice")
        assert "script-src 'none'" in portfolio.headers["content-security-policy"]
        assert not parse(portfolio.text).all("script", src="/static/viewer.js")
