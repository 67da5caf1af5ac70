"""Colour maths for instance theming (WCAG 2.x): parse #rrggbb, relative luminance, contrast ratio, and the
dark-scheme variant of an accent. Pure and tiny, so config.py can refuse an unreadable accent at start-up and
the panel refuses exactly the same values.

The dark variant is computed, not hand-picked: the accent's hue and saturation kept, its HLS lightness raised
just enough to give it the same contrast against the dark background as it has against the light one (at
least 4.5:1), so both schemes come from one colour. The default #5b2f94 gives #c7afe5 (#c9a8f5 by hand before).
"""

from __future__ import annotations

import colorsys
import re

LIGHT_BACKGROUND = "#ffffff"   # --bg of the light scheme (base.html)
DARK_BACKGROUND = "#17151a"    # --bg of the dark scheme (base.html)
MIN_CONTRAST = 4.5             # WCAG 2.x AA for normal text: links and button labels are text
DEFAULT_ACCENT = "#5b2f94"

_HEX_RE = re.compile(r"#([0-9a-fA-F]{6})")
RGB = tuple[int, int, int]


def parse_hex(value: str) -> RGB:
    """``#rrggbb`` (either case) -> (r, g, b); ValueError for anything else (names, #rgb, rgb(), spaces)."""
    match = _HEX_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    digits = match.group(1)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4  # WCAG 2.x sRGB linearisation (0.04045)


def relative_luminance(rgb: RGB) -> float:
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """(L1 + 0.05) / (L2 + 0.05), lighter over darker: 1.0 (same) to 21.0 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _with_lightness(rgb: RGB, lightness: float) -> RGB:
    h, _l, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    r, g, b = colorsys.hls_to_rgb(h, lightness, s)
    return round(r * 255), round(g * 255), round(b * 255)


def lighten_to_contrast(rgb: RGB, background: RGB, target: float = MIN_CONTRAST) -> RGB:
    """The least lightened variant of `rgb` (same hue and saturation) with at least `target` contrast against a
    dark `background`; `rgb` itself when it already has it. Each channel grows with HLS lightness, so the
    contrast does too (against a background darker than the colour) and a bisection finds the boundary."""
    if contrast_ratio(rgb, background) >= target:
        return rgb
    low = colorsys.rgb_to_hls(*(c / 255 for c in rgb))[1]
    high = 1.0  # white: 1.05 / (L_bg + 0.05) >= target for any background this is used with
    for _ in range(30):
        middle = (low + high) / 2
        if contrast_ratio(_with_lightness(rgb, middle), background) >= target:
            high = middle
        else:
            low = middle
    return _with_lightness(rgb, high)


def mix(colour: str, background: str, weight: float) -> str:
    """`weight` of `colour` over `background` (sRGB, as CSS color-mix does by default): tints of the accent."""
    a, b = parse_hex(colour), parse_hex(background)
    r, g, bl = (round(weight * x + (1 - weight) * y) for x, y in zip(a, b, strict=True))
    return to_hex((r, g, bl))


def dark_variant(accent: str) -> str:
    """The dark-scheme accent derived from the light one (both #rrggbb): as much contrast against the dark
    background as the accent has against the light one (so it stands out as much in both schemes), at least
    MIN_CONTRAST, at most what white has."""
    rgb, dark = parse_hex(accent), parse_hex(DARK_BACKGROUND)
    target = max(MIN_CONTRAST, contrast_ratio(rgb, parse_hex(LIGHT_BACKGROUND)))
    return to_hex(lighten_to_contrast(rgb, dark, min(target, contrast_ratio((255, 255, 255), dark))))


def accent_problem(accent: str) -> str | None:
    """Why `accent` cannot be the accent colour (a sentence without the key's name), or None when it can."""
    try:
        rgb = parse_hex(accent)
    except ValueError:
        return f"must be a colour written #rrggbb (e.g. {DEFAULT_ACCENT}), not {accent!r}"
    ratio = contrast_ratio(rgb, parse_hex(LIGHT_BACKGROUND))
    if ratio >= MIN_CONTRAST:
        return None
    shown = min(round(ratio, 2), 4.49)  # never print "4.50:1 is below 4.5:1"
    return (f"{accent} has too little contrast against the white background: {shown:.2f}:1, and links and buttons "
            f"need at least {MIN_CONTRAST}:1 (WCAG AA); choose a darker colour")
