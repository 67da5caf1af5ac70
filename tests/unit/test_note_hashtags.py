"""Hashtag names read off a note's ``tag`` as the note states them: what the tag index is given (services/
remote_posts.tag_names). Odd shapes, hostile names and floods are bounded, never raised on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fediverse.activitypub.parse_note import MAX_HASHTAG, MAX_HASHTAGS, hashtag_names, parse_note
from tests.conftest import FIXTURES


def test_names_keep_case_drop_the_hash_and_repeat_once() -> None:
    raw = {"tag": [{"type": "Hashtag", "name": "#Ink"}, {"type": "Hashtag", "name": "Ink"},
                   {"type": "Hashtag", "name": "#ink"}, {"type": "Mention", "name": "@a@b"},
                   {"type": "Emoji", "name": ":x:"}]}
    assert hashtag_names(raw) == ("Ink", "ink")


@pytest.mark.parametrize("raw", [
    {}, {"tag": None}, {"tag": "Hashtag"}, {"tag": [1, "x", None]}, {"tag": [{"type": "Hashtag"}]},
    {"tag": [{"type": "Hashtag", "name": 5}]}, {"tag": [{"type": "Hashtag", "name": "#"}]},
    {"tag": [{"type": "Hashtag", "name": "#" + "a" * (MAX_HASHTAG + 1)}]}, [], "tag",
])
def test_odd_shapes_and_hostile_names_give_nothing(raw: Any) -> None:
    assert hashtag_names(raw) == ()


def test_a_single_tag_object_and_a_flood_are_bounded() -> None:
    assert hashtag_names({"tag": {"type": "Hashtag", "name": "#solo"}}) == ("solo",)
    flood = {"tag": [{"type": "Hashtag", "name": f"#t{n}"} for n in range(10_000)]}
    assert len(hashtag_names(flood)) == MAX_HASHTAGS


def test_recorded_pixelfed_note_gives_its_tags() -> None:
    create = json.loads((FIXTURES / "pixelfed/create_note_with_image.json").read_text())
    assert parse_note(create["object"]).hashtags == ("streetphotography", "colorphotography")
