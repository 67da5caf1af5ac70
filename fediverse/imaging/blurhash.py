"""BlurHash encoder (https://blurha.sh, the algorithm of woltapp/blurhash), pure Python on a tiny image.

The image is first reduced to at most ``SAMPLE`` pixels on its longest side with a box filter; the hash only
keeps the lowest frequencies, so this changes nothing visible and makes the encoder cost well under a
millisecond. Give it the thumbnail (the cheapest rendition), not the original.

The DCT is separable: per row we sum ``cos(pi*i*x/w) * linear(pixel)`` for each horizontal component, then
combine rows per vertical component, using ``sum(map(mul, ...))`` so the inner loops run in C.
"""

from __future__ import annotations

import math
from operator import mul

from PIL import Image

SAMPLE = 32
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_SRGB_TO_LINEAR = [(v / 255) / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in range(256)]


def _encode83(value: int, length: int) -> str:
    out = []
    for i in range(1, length + 1):
        digit = (value // 83 ** (length - i)) % 83
        out.append(_ALPHABET[digit])
    return "".join(out)


def _linear_to_srgb(value: float) -> int:
    v = max(0.0, min(1.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exp: float) -> float:
    return math.copysign(abs(value) ** exp, value)


def _rgb_sample(image: Image.Image) -> Image.Image:
    im = image
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        # Transparent areas are shown over the page; flatten them on white so the hash is not black there.
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        background.alpha_composite(im)
        im = background
    if im.mode != "RGB":
        im = im.convert("RGB")
    w, h = im.size
    if max(w, h) > SAMPLE:
        scale = SAMPLE / max(w, h)
        im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)
    return im


def blurhash_of(image: Image.Image, x_components: int = 4, y_components: int = 4) -> str:
    """The BlurHash of a Pillow image (any mode; alpha is flattened on white)."""
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9):
        raise ValueError("BlurHash components must be between 1 and 9")
    im = _rgb_sample(image)
    w, h = im.size
    raw = im.tobytes()
    lin = _SRGB_TO_LINEAR
    # channels[c][y] = list of linear values of row y, channel c
    channels = [[[lin[v] for v in raw[y * w * 3 + c : (y + 1) * w * 3 : 3]] for y in range(h)] for c in range(3)]
    cos_x = [[math.cos(math.pi * i * x / w) for x in range(w)] for i in range(x_components)]
    cos_y = [[math.cos(math.pi * j * y / h) for y in range(h)] for j in range(y_components)]
    # row_sums[c][i][y] = sum_x cos_x[i][x] * value[c][y][x]
    row_sums = [[[sum(map(mul, cx, row)) for row in rows] for cx in cos_x] for rows in channels]
    scale = 1.0 / (w * h)
    factors: list[tuple[float, float, float]] = []
    for j in range(y_components):
        cy = cos_y[j]
        for i in range(x_components):
            norm = (1.0 if i == 0 and j == 0 else 2.0) * scale
            factors.append(
                (
                    norm * sum(map(mul, cy, row_sums[0][i])),
                    norm * sum(map(mul, cy, row_sums[1][i])),
                    norm * sum(map(mul, cy, row_sums[2][i])),
                )
            )
    dc, ac = factors[0], factors[1:]
    out = [_encode83((x_components - 1) + (y_components - 1) * 9, 1)]
    if ac:
        actual_max = max(abs(v) for f in ac for v in f)
        quantised_max = int(max(0, min(82, math.floor(actual_max * 166 - 0.5))))
        maximum = (quantised_max + 1) / 166
        out.append(_encode83(quantised_max, 1))
    else:
        maximum = 1.0
        out.append(_encode83(0, 1))
    out.append(_encode83((_linear_to_srgb(dc[0]) << 16) + (_linear_to_srgb(dc[1]) << 8) + _linear_to_srgb(dc[2]), 4))
    for f in ac:
        q = [int(max(0, min(18, math.floor(_sign_pow(v / maximum, 0.5) * 9 + 9.5)))) for v in f]
        out.append(_encode83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2))
    return "".join(out)


def _decode83(text: str) -> int:
    value = 0
    for char in text:
        index = _ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not a BlurHash character: {char!r}")
        value = value * 83 + index
    return value


def decode_grid(blurhash: str, width: int = 3, height: int = 3) -> list[list[tuple[int, int, int]]]:
    """A tiny ``height`` x ``width`` grid of sRGB colours from a BlurHash (rows of pixels), enough to paint a
    placeholder with CSS gradients before the thumbnail arrives, without any script. ValueError when malformed."""
    if len(blurhash) < 6:
        raise ValueError("BlurHash too short")
    size = _decode83(blurhash[0])
    nx, ny = size % 9 + 1, size // 9 + 1
    if len(blurhash) != 4 + 2 * nx * ny:
        raise ValueError("BlurHash length does not match its component count")
    max_ac = (_decode83(blurhash[1]) + 1) / 166
    dc = _decode83(blurhash[2:6])
    colours = [(_SRGB_TO_LINEAR[dc >> 16 & 255], _SRGB_TO_LINEAR[dc >> 8 & 255], _SRGB_TO_LINEAR[dc & 255])]
    for i in range(1, nx * ny):
        value = _decode83(blurhash[4 + 2 * i: 6 + 2 * i])
        quant = (value // (19 * 19), (value // 19) % 19, value % 19)
        colours.append(tuple(_sign_pow((q - 9) / 9, 2.0) * max_ac for q in quant))  # type: ignore[misc]
    grid = []
    for y in range(height):
        row = []
        for x in range(width):
            rgb = [0.0, 0.0, 0.0]
            for j in range(ny):
                for i in range(nx):
                    basis = math.cos(math.pi * x * i / width) * math.cos(math.pi * y * j / height)
                    colour = colours[j * nx + i]
                    for c in range(3):
                        rgb[c] += colour[c] * basis
            row.append((_linear_to_srgb(rgb[0]), _linear_to_srgb(rgb[1]), _linear_to_srgb(rgb[2])))
        grid.append(row)
    return grid
