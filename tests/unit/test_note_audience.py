"""Mastodon's visibility of a remote note, read off recorded payloads (shared/fixtures) and its addressing
templates (ActivityPub::TagManager#to/#cc): public, unlisted, followers-only ("private"), direct."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from fediverse.activitypub.parse import parse_activity
from fediverse.activitypub.parse_note import parse_note
from fediverse.activitypub.vocab import AS_PUBLIC
from tests.conftest import FIXTURES

FELIX = "https://mastodon.madrid/users/felix"
FELIX_FOLLOWERS = f"{FELIX}/followers"
RETIOLUS = "https://mamot.fr/users/retiolus"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize(("name", "followers", "expected"), [
    ("mastodon/create_note_with_image_mastodon_social.json", "https://mastodon.social/users/mczachurski/followers",
     "public"),
    ("pixelfed/create_note_reply.json", "https://pixelfed.social/users/mczachurski/followers", "public"),
    ("pleroma/create_note.json", "https://greenish.red/users/nutomic/followers", "public"),
    ("mastodon/create_note_reply_mention.json", FELIX_FOLLOWERS, "unlisted"),  # Public in cc only
])
def test_recorded_notes_get_mastodons_visibility(name: str, followers: str, expected: str) -> None:
    note = parse_note(fixture(name)["object"], followers=followers)
    assert note.visibility == expected
    assert AS_PUBLIC not in note.addressed and followers in note.addressed


@pytest.mark.parametrize(("to", "cc", "expected"), [
    ([FELIX_FOLLOWERS], [RETIOLUS], "private"),          # Mastodon's followers-only template
    ([RETIOLUS], [], "direct"),                          # Mastodon's direct template
    ([RETIOLUS], [FELIX_FOLLOWERS], "direct"),           # followers only in cc: Mastodon does not look there
    (["as:Public"], [FELIX_FOLLOWERS], "public"),        # the compact spellings Mastodon accepts
    ([FELIX_FOLLOWERS], ["Public"], "unlisted"),
    ([], [], "direct"),
])
def test_the_addressing_decides(to: list[str], cc: list[str], expected: str) -> None:
    raw = copy.deepcopy(fixture("mastodon/create_note_reply_mention.json")["object"]) | {"to": to, "cc": cc}
    note = parse_note(raw, followers=FELIX_FOLLOWERS)
    assert note.visibility == expected
    assert note.addressed == tuple(dict.fromkeys(a for a in [*to, *cc] if a not in ("as:Public", "Public")))


def test_a_followers_collection_not_the_authors_is_not_followers_only() -> None:
    raw = fixture("mastodon/create_note_reply_mention.json")["object"] | {"to": [FELIX_FOLLOWERS], "cc": []}
    assert parse_note(raw, followers=None).visibility == "direct"
    assert parse_note(raw, followers=f"{RETIOLUS}/followers").visibility == "direct"


def test_the_activitys_audience_counts_when_the_note_has_none() -> None:
    create = fixture("mastodon/create_note_reply_mention.json")
    raw = {k: v for k, v in create["object"].items() if k not in ("to", "cc")}
    assert parse_note(raw, followers=FELIX_FOLLOWERS).visibility == "direct"
    note = parse_note(raw, followers=FELIX_FOLLOWERS, envelope=parse_activity(create))
    assert note.visibility == "unlisted" and note.addressed == (FELIX_FOLLOWERS, RETIOLUS)
