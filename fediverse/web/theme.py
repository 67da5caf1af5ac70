"""The instance's look on every page (public and panel): the accent of the light scheme and the one derived for
the dark scheme (fediverse/colour.py), the logo and the front page's banner, all from the instance settings.

base.html writes the accents into its `:root` custom properties; the CSP allows inline styles (never scripts),
and the values are validated #rrggbb colours, so nothing from the settings can break out of the <style>.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fediverse.colour import dark_variant
from fediverse.config import Settings


@dataclass(frozen=True)
class Theme:
    accent: str        # --accent in the light scheme
    accent_dark: str   # --accent in the dark scheme
    logo_url: str
    header_image_url: str


@lru_cache(maxsize=16)
def _theme(accent: str, logo_url: str, header_image_url: str) -> Theme:
    return Theme(accent=accent.lower(), accent_dark=dark_variant(accent), logo_url=logo_url,
                 header_image_url=header_image_url)


def theme_of(settings: Settings) -> Theme:
    inst = settings.instance
    return _theme(inst.accent_color, inst.logo_url, inst.header_image_url)
