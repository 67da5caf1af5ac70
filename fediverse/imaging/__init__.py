"""Images, pure Pillow: probe (accept or refuse, limits, provenance), derive (renditions), BlurHash.

No database, no network, no file I/O: bytes in, bytes and facts out. See probe.py and derive.py for the rules.

    p = probe(data, max_bytes=..., max_pixels=..., declared_mime="image/jpeg")   # raises ImageRejected
    d = derive(data, p, large_max=(3840, 2160), display_size=1280, thumbnail_size=400)
    d.renditions  -> (large, display, thumbnail); d.blurhash; d.width, d.height; p.ai_generated
    lossless.publish_as_uploaded(data, p, xmp, ...)  -> the artist's own file as the large rendition (Glaze-safe)
"""

from fediverse.imaging.blurhash import blurhash_of
from fediverse.imaging.derive import Derived, Rendition, derive
from fediverse.imaging.errors import ImageRejected
from fediverse.imaging.focal import FocalPoint
from fediverse.imaging.probe import Probe, probe
from fediverse.imaging.sniff import ACCEPTED, EXTENSION_OF_MIME, MIME

__all__ = [
    "ACCEPTED",
    "EXTENSION_OF_MIME",
    "MIME",
    "Derived",
    "FocalPoint",
    "ImageRejected",
    "Probe",
    "Rendition",
    "blurhash_of",
    "derive",
    "probe",
]
