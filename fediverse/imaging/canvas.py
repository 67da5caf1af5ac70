"""The real canvas of an animated GIF, read from its block headers before Pillow decodes a single frame.

Why: a GIF's logical screen says nothing binding. Pillow grows its canvas to hold every frame's placement
(``GifImagePlugin._seek``), so an 85-byte file with a 1x1 screen and a 1x1 frame at (8999, 8999) becomes a
9000x9000 canvas, and decoding it allocated ~700 MiB. ``probe`` checks this canvas (width x height, and x frames)
against ``[media] max_pixels`` first.

Only GIF needs this: APNG frames must fit inside IHDR (Pillow refuses others) and animated WebP frames inside the
VP8X canvas (libwebp refuses others), so for those Pillow's ``size`` already is the canvas.

The walk is linear in the file's size and reads no pixel data: blocks are skipped by their length bytes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Canvas:
    width: int
    height: int
    frames: int


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Past a chain of data sub-blocks (length byte + bytes ... ending with a 0 length)."""
    end = len(data)
    while pos < end:
        size = data[pos]
        pos += 1
        if size == 0:
            break
        pos += size
    return pos


def gif_canvas(data: bytes) -> Canvas:
    """The canvas Pillow will end up with (the screen grown to cover every frame) and the frame count."""
    width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    flags = data[10] if len(data) > 10 else 0
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    end = len(data)
    while pos < end:
        marker = data[pos]
        if marker == 0x3B:  # trailer
            break
        if marker == 0x21:  # extension: label, then sub-blocks
            pos = _skip_sub_blocks(data, pos + 2)
        elif marker == 0x2C:  # image descriptor: left, top, width, height, flags
            if pos + 10 > end:
                break
            left, top, w, h = (int.from_bytes(data[pos + i : pos + i + 2], "little") for i in (1, 3, 5, 7))
            local = data[pos + 9]
            frames += 1
            width, height = max(width, left + w), max(height, top + h)
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            pos = _skip_sub_blocks(data, pos + 1)  # LZW minimum code size, then the image data
        else:  # Pillow skips stray bytes one at a time; so do we
            pos += 1
    return Canvas(width, height, max(frames, 1))
