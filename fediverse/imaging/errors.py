"""Why an uploaded image was refused, as a sentence an artist can act on."""

from __future__ import annotations

from fediverse.errors import Invalid

# Short machine-readable codes, so an API or the panel can map refusals without parsing the sentence.
EMPTY = "empty"
TOO_BIG = "too_big"  # over the byte limit
TOO_MANY_PIXELS = "too_many_pixels"  # over the pixel limit (decompression bombs)
NOT_AN_IMAGE = "not_an_image"  # HTML, PDF, text, unknown bytes ...
NOT_ACCEPTED = "format_not_accepted"  # an image, but not a format we take (TIFF, BMP, HEIC ...)
TYPE_MISMATCH = "type_mismatch"  # declared type differs from the content
TRUNCATED = "truncated"
CORRUPT = "corrupt"


class ImageRejected(Invalid, ValueError):
    """The upload is not an image we accept. ``reason`` names the problem in one human sentence.

    It is an ``Invalid`` (maps to 400/422) and a ``ValueError``; ``code`` is one of the constants above.
    """

    def __init__(self, reason: str, code: str = CORRUPT) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __str__(self) -> str:
        return self.reason
