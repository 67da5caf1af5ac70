"""activitypub.parse_note.media_attachments: the size and BlurHash a remote server claims for an image shape its
tile on the home timeline; odd or hostile values are dropped, never trusted."""

from __future__ import annotations

from typing import Any

from fediverse.activitypub.parse_note import media_attachments


def attachment(**fields: Any) -> dict[str, Any]:
    return {"attachment": [{"type": "Document", "mediaType": "image/jpeg", "url": "https://m.test/a.jpg",
                            "name": "A heron", **fields}]}


def test_mastodon_width_height_and_blurhash_are_kept() -> None:
    [ref] = media_attachments(attachment(width=1200, height=1800, blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj"))
    assert (ref.width, ref.height, ref.blurhash) == (1200, 1800, "LEHV6nWB2yk8pyo0adR*.7kCMdnj")
    assert ref.name == "A heron"


def test_odd_claims_are_dropped() -> None:
    for fields in ({"width": True, "height": 10}, {"width": -5, "height": 10}, {"width": "1200", "height": 800},
                   {"width": 10**9, "height": 800}, {"width": 1200}, {"height": 1200}):
        [ref] = media_attachments(attachment(**fields))
        assert (ref.width, ref.height) == (None, None), fields
    [ref] = media_attachments(attachment(blurhash="x" * 5000))
    assert ref.blurhash is None
    [ref] = media_attachments(attachment(blurhash=["not", "a", "string"]))
    assert ref.blurhash is None
