"""fediverse/colour.py: WCAG 2.x contrast on known pairs, the accent check config.py and the panel share, and the
dark-scheme accent derived from the light one."""

from __future__ import annotations

import colorsys

import pytest

from fediverse.colour import (
    DARK_BACKGROUND, DEFAULT_ACCENT, LIGHT_BACKGROUND, MIN_CONTRAST, accent_problem, contrast_ratio, dark_variant,
    lighten_to_contrast, mix, parse_hex, relative_luminance, to_hex,
)

WHITE, BLACK = parse_hex("#ffffff"), parse_hex("#000000")


@pytest.mark.parametrize(("a", "b", "ratio"), [
    ("#000000", "#ffffff", 21.0),
    ("#777777", "#ffffff", 4.48),   # the classic just-fails grey
    ("#767676", "#ffffff", 4.54),   # the classic just-passes grey
    ("#0000ff", "#ffffff", 8.59),
    ("#ff0000", "#ffffff", 4.0),
    ("#ffffff", "#ffffff", 1.0),
])
def test_known_wcag_pairs(a: str, b: str, ratio: float) -> None:
    assert contrast_ratio(parse_hex(a), parse_hex(b)) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(parse_hex(b), parse_hex(a)) == pytest.approx(ratio, abs=0.01)  # order does not matter


def test_relative_luminance_ends_and_parse_round_trip() -> None:
    assert relative_luminance(BLACK) == 0.0 and relative_luminance(WHITE) == pytest.approx(1.0)
    assert parse_hex("#5B2F94") == (0x5B, 0x2F, 0x94) and to_hex(parse_hex("#5B2F94")) == "#5b2f94"


@pytest.mark.parametrize("bad", ["5b2f94", "#5b2f9", "#5b2f944", "#fff", "red", "rgb(0,0,0)", " #5b2f94", "#5b2f9g",
                                 "#5b2f94\n", ""])
def test_anything_but_rrggbb_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_hex(bad)
    assert "#rrggbb" in (accent_problem(bad) or "")


def test_the_default_accent_passes_and_a_light_one_is_refused_with_its_ratio() -> None:
    assert accent_problem(DEFAULT_ACCENT) is None
    assert accent_problem("#767676") is None
    problem = accent_problem("#ffff66")
    assert problem is not None and "#ffff66" in problem and "1.0" in problem and "4.5:1" in problem
    grey = accent_problem("#777777")
    assert grey is not None and "4.48:1" in grey


@pytest.mark.parametrize("accent", [DEFAULT_ACCENT, "#767676", "#0b5394", "#8b0000", "#1b5e20", "#3d0066", "#b3005e"])
def test_the_dark_variant_stands_out_as_much_on_the_dark_background_and_keeps_the_hue(accent: str) -> None:
    dark = dark_variant(accent)
    background = parse_hex(DARK_BACKGROUND)
    light_ratio = contrast_ratio(parse_hex(accent), parse_hex(LIGHT_BACKGROUND))
    dark_ratio = contrast_ratio(parse_hex(dark), background)
    assert dark_ratio >= MIN_CONTRAST and relative_luminance(parse_hex(dark)) > relative_luminance(parse_hex(accent))
    assert dark_ratio == pytest.approx(light_ratio, abs=0.2)  # the least lightening that reaches it
    hue = colorsys.rgb_to_hls(*(c / 255 for c in parse_hex(accent)))[0]
    dark_hue = colorsys.rgb_to_hls(*(c / 255 for c in parse_hex(dark)))[0]
    assert min(abs(hue - dark_hue), 1 - abs(hue - dark_hue)) < 0.02 or accent == "#767676"  # greys have no hue


def test_the_default_accent_gives_about_the_hand_picked_dark_one_and_black_gives_white() -> None:
    dark, background = parse_hex(dark_variant(DEFAULT_ACCENT)), parse_hex(DARK_BACKGROUND)
    hand_picked = parse_hex("#c9a8f5")  # the dark accent base.html had before theming
    assert contrast_ratio(dark, background) == pytest.approx(contrast_ratio(hand_picked, background), abs=0.3)
    assert all(abs(a - b) <= 16 for a, b in zip(dark, hand_picked, strict=True)), to_hex(dark)
    assert dark_variant("#000000") == "#ffffff"  # 21:1 cannot be had on the dark background: the most there is


def test_a_colour_that_already_reads_on_the_background_is_kept() -> None:
    assert lighten_to_contrast(WHITE, parse_hex(DARK_BACKGROUND)) == WHITE
    assert lighten_to_contrast(BLACK, WHITE) == BLACK
    assert LIGHT_BACKGROUND == "#ffffff"


def test_tints_mix_in_srgb_and_the_default_gives_the_hand_picked_tiles() -> None:
    assert mix("#000000", "#ffffff", 0.5) == "#808080" and mix("#5b2f94", "#ffffff", 0) == "#ffffff"
    assert mix("#5b2f94", "#ffffff", 1) == "#5b2f94"
    light_tile = parse_hex(mix(DEFAULT_ACCENT, LIGHT_BACKGROUND, 0.10))
    dark_tile = parse_hex(mix(dark_variant(DEFAULT_ACCENT), DARK_BACKGROUND, 0.08))
    assert all(abs(a - b) <= 1 for a, b in zip(light_tile, parse_hex("#efeaf5"), strict=True))  # base.html's, before
    assert all(abs(a - b) <= 1 for a, b in zip(dark_tile, parse_hex("#262229"), strict=True))
