"""The instance's look on every page (public and panel): the accent of the light scheme and the one derived for
the dark scheme (fediverse/colour.py), the logo and the front page's banner, all from the instance settings.

base.html writes the accents into its `:root` custom properties; the CSP allows inline styles (never scripts),
and the values are validated #rrggbb colours, so nothing from the settings can break out of the <style>.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fediverse.colour import DARK_BACKGROUND, LIGHT_BACKGROUND, dark_variant, mix
from fediverse.config import Settings


TILE_TINT = 0.10       # --tile (behind grid images, under content warnings): this much accent over the background
TILE_TINT_DARK = 0.08  # (the hand-picked tiles of the default purple were these tints: #efeaf5 and #262229)


@dataclass(frozen=True)
class Theme:
    accent: str        # --accent in the light scheme
    accent_dark: str   # --accent in the dark scheme
    tile: str          # --tile in the light scheme
    tile_dark: str     # --tile in the dark scheme
    logo_url: str
    header_image_url: str


@lru_cache(maxsize=16)
def _theme(accent: str, logo_url: str, header_image_url: str) -> Theme:
    accent, accent_dark = accent.lower(), dark_variant(accent)
    return Theme(accent=accent, accent_dark=accent_dark, tile=mix(accent, LIGHT_BACKGROUND, TILE_TINT),
                 tile_dark=mix(accent_dark, DARK_BACKGROUND, TILE_TINT_DARK), logo_url=logo_url,
                 header_image_url=header_image_url)


def theme_of(settings: Settings) -> Theme:
    inst = settings.instance
    return _theme(inst.accent_color, inst.logo_url, inst.header_image_url)
