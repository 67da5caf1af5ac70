"""How an image sits in a grid: the aspect ratio its tile keeps, its BlurHash placeholder, `srcset` and `sizes`.

Pure helpers shared by the work tiles (web/pages.py: portfolio, collections, tags), the front page (web/front.py)
and the posts of the home timeline (templates/panel/_post.html, through the Jinja globals installed by
`install`). The layout itself is CSS (static/gallery.css): each tile's flex-grow and width follow its ratio
(`--ar`), so rows come out justified without any script; these numbers must agree with that file.
"""

from __future__ import annotations

from typing import Any, Sequence

from jinja2 import pass_context

from fediverse.imaging.blurhash import decode_grid
from fediverse.services.timelines import Image as TimelineImage
from fediverse.web.context import runtime_of

ROW_REM = 14.0  # desktop row height (gallery.css .grid --row); the rows stretch tiles by up to 1.75
PHONE_ROW_REM = 7.5  # row height up to 40rem wide: two or three tiles a row on a phone
PHONE_MAX_REM = 22.0  # a tile never gets wider than a phone's content box
MIN_RATIO, MAX_RATIO = 0.5, 2.5  # a panorama or a scroll still gets a usable tile (cropped to this at most)
FIRST_ROW = 72 / ROW_REM  # ratios that fill the widest row (body max-width 72rem): its tiles load eagerly


def tile_ratio(width: int, height: int, focal: tuple[float, float]) -> float:
    """Width / height of a tile. Square only where the artist chose a focal point (a crop she asked for);
    otherwise the work's own proportions, bounded so a 10:1 panorama still makes a visible tile."""
    if focal != (0.0, 0.0):
        return 1.0
    ratio = width / max(height, 1)
    return round(min(MAX_RATIO, max(MIN_RATIO, ratio)), 3)


def tile_sizes(ratio: float) -> str:
    """The `sizes` of a tile: its width in the justified row (rows stretch tiles by up to about a third)."""
    phone = min(PHONE_MAX_REM, ratio * PHONE_ROW_REM * 1.3)
    return f"(max-width: 40rem) {phone:.1f}rem, {ratio * ROW_REM * 1.3:.1f}rem"


def first_row(ratios: Sequence[float]) -> int:
    """How many tiles fill the first row on the widest screen: those load eagerly, the rest lazily."""
    total, count = 0.0, 0
    for ratio in ratios:
        if total >= FIRST_ROW:
            break
        total += ratio
        count += 1
    return max(count, 1)


def srcset(candidates: Sequence[tuple[str, int]]) -> str:
    """A `srcset` from (url, width) smallest first; a width already offered is left out (a small original's
    display and large renditions have the same size: the browser would have to drop one anyway)."""
    seen: set[int] = set()
    entries = []
    for url, width in candidates:
        if width not in seen:
            seen.add(width)
            entries.append(f"{url} {width}w")
    return ", ".join(entries)


def placeholder_css(blurhash: str) -> str:
    """CSS backgrounds painting a 3x3 BlurHash decode (no script needed); empty when the hash is unusable."""
    try:
        grid = decode_grid(blurhash, 3, 3)
    except (ValueError, IndexError):
        return ""
    layers = ", ".join(
        "linear-gradient(to right, " + ", ".join(f"rgb({r},{g},{b})" for r, g, b in row) + ")" for row in grid)
    return (f"background-image:{layers};background-size:100% 34%;background-repeat:no-repeat;"
            "background-position:0 0,0 50%,0 100%")


def scaled(width: int, height: int, longest: int) -> tuple[int, int]:
    """Size of a rendition whose longest side is at most `longest` (never upscaled), as imaging derives it."""
    scale = longest / max(width, height, 1)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


@pass_context
def post_image_attrs(context: Any, image: TimelineImage) -> dict[str, str]:
    """`style` (ratio and BlurHash placeholder), `srcset` and `sizes` of a timeline image for panel/_post.html:
    a work's image offers its three renditions; a cached remote file is one file (no srcset)."""
    ratio = tile_ratio(image.width or 4, image.height or 3, (0.0, 0.0))
    style = f"--ar:{ratio}"
    if image.blurhash:
        style += ";" + placeholder_css(image.blurhash)
    candidates: list[tuple[str, int]] = []
    if image.thumbnail_path and image.path and image.full_path and image.width and image.height:
        media = runtime_of(context["request"]).settings.media
        display = scaled(image.width, image.height, media.display_size)
        tw, _ = scaled(*display, media.thumbnail_size)
        dw = display[0]
        candidates = [(image.thumbnail_path, tw), (image.path, dw), (image.full_path, image.width)]
    return {"style": style, "srcset": srcset(candidates) if candidates else "", "sizes": tile_sizes(ratio)}


def install(env: Any) -> None:
    """Make the grid helpers available to every template of `env`."""
    env.globals["post_image_attrs"] = post_image_attrs
    env.filters["first_row"] = first_row
