"""Local text notes on the wire: Mastodon's to/cc for each visibility (mentions in cc, in to for direct), the
reply link, tags and the artist's consent properties; the Delete and the Tombstone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fediverse.activitypub.parse_note import parse_note
from fediverse.activitypub.render import AS_PUBLIC
from fediverse.activitypub.render_notes import (
    render_local_note, render_note_create, render_note_delete, render_note_tombstone,
)
from fediverse.activitypub.render_works import NoteConsent
from fediverse.activitypub.uris import Uris
from fediverse.models import Account, LocalNote

URIS = Uris("https://art.test")
ALICE = "https://art.test/users/alice"
FELIX = "https://masto.test/users/felix"
FOLLOWERS = f"{ALICE}/followers"


def note(visibility: str) -> LocalNote:
    author = Account(uri=ALICE, username="alice", followers_url=FOLLOWERS)
    return LocalNote(public_id="123456789", uri=f"{ALICE}/notes/123456789", account=author, content="hi",
                     content_html="<p>hi</p>", summary="", sensitive=False, visibility=visibility,
                     in_reply_to_uri=f"{FELIX}/statuses/1", tags=["ink"],
                     mentions=[{"uri": FELIX, "acct": "felix@masto.test"}],
                     published_at=datetime(2026, 12, 7, 12, 0, tzinfo=UTC))


@pytest.mark.parametrize("visibility, to, cc", [
    ("public", [AS_PUBLIC], [FOLLOWERS, FELIX]),
    ("unlisted", [FOLLOWERS], [AS_PUBLIC, FELIX]),
    ("followers", [FOLLOWERS], [FELIX]),
    ("direct", [FELIX], []),
])
def test_each_visibility_is_addressed_as_mastodon_does_and_reads_back_the_same(
        visibility: str, to: list[str], cc: list[str]) -> None:
    doc = render_note_create(note(visibility), URIS)
    assert (doc["object"]["to"], doc["object"]["cc"]) == (to, cc) and (doc["to"], doc["cc"]) == (to, cc)
    parsed = parse_note(doc["object"], followers=FOLLOWERS, envelope=None)
    assert parsed.visibility == {"followers": "private"}.get(visibility, visibility)
    assert parsed.in_reply_to == f"{FELIX}/statuses/1" and FELIX in parsed.mentions


def test_the_note_carries_its_reply_link_tags_page_and_consent() -> None:
    consent = NoteConsent(object={"contentUsage": "train-ai=n"}, terms={"contentUsage": "https://example.test/cu"})
    doc = render_note_create(note("public"), URIS, consent=consent)
    obj = doc["object"]
    assert doc["id"] == f"{ALICE}/notes/123456789/activity" and doc["actor"] == ALICE
    assert obj["url"] == "https://art.test/statuses/123456789" and obj["contentUsage"] == "train-ai=n"
    assert obj["tag"] == [{"type": "Mention", "href": FELIX, "name": "@felix@masto.test"},
                          {"type": "Hashtag", "href": "https://art.test/tags/ink", "name": "#ink"}]
    assert "summary" not in obj and obj["sensitive"] is False
    assert doc["@context"][1]["contentUsage"] == "https://example.test/cu"


def test_delete_and_tombstone() -> None:
    gone = note("followers")
    gone.deleted_at = datetime(2026, 12, 8, tzinfo=UTC)
    delete = render_note_delete(gone)
    assert delete["object"] == {"id": gone.uri, "type": "Tombstone"} and delete["to"] == [FOLLOWERS]
    assert render_note_tombstone(gone)["formerType"] == "Note"
    assert "inReplyTo" not in render_local_note(LocalNote(
        public_id="1", uri=f"{ALICE}/notes/1", account=gone.account, content_html="", summary="", sensitive=False,
        visibility="public", tags=[], mentions=[], published_at=gone.published_at), URIS)
