"""Every recorded real-world payload in tests/fixtures (copied from shared/fixtures) either parses or is refused with a reason.

Known files are also checked against the exact outcome we expect, and several have their
fields asserted (the Mastodon actor's keys and inboxes, Takahē's compacted keys, GoToSocial's
profile fields, Accept/Undo embedded objects…).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from fediverse.activitypub.parse import (
    parse_activity,
    parse_actor,
    parse_document,
    parse_object,
    parse_webfinger,
)
from fediverse.activitypub.vocab import (
    AS_PUBLIC,
    Activity,
    APObject,
    ParseError,
    RemoteActor,
    WebfingerResult,
)
from tests.conftest import FIXTURES

ALL_FILES = sorted(FIXTURES.rglob("*.json"))

# relative path -> parsed kind, or "refused: <reason substring>"
EXPECTED: dict[str, str] = {
    "gotosocial/delete_note.json": "refused: activity has no id",
    "gotosocial/flag.json": "Activity",
    "gotosocial/move.json": "Activity",
    "gotosocial/note_with_image_emoji_hashtag.json": "APObject",
    "gotosocial/person_with_fields.json": "RemoteActor",
    "gotosocial/update_person.json": "refused: activity id must be an absolute http(s) URL",
    "lemmy/accept_follow.json": "refused: unsupported JSON-LD context",
    "mastodon/accept_follow.json": "Activity",
    "mastodon/actor_person_activitypub_academy.json": "RemoteActor",
    "mastodon/announce.json": "Activity",
    "mastodon/block.json": "Activity",
    "mastodon/create_note_reply_mention.json": "Activity",
    "mastodon/create_note_sensitive.json": "Activity",
    "mastodon/create_note_with_attachment_old.json": "Activity",
    "mastodon/create_note_with_image_mastodon_social.json": "Activity",
    "mastodon/delete_actor.json": "refused: unsupported JSON-LD context",
    "mastodon/delete_note_tombstone.json": "Activity",
    "mastodon/featured_collection.json": "APObject",
    "mastodon/flag.json": "Activity",
    "mastodon/follow.json": "Activity",
    "mastodon/instance_actor_application.json": "refused: actor id must be an absolute http(s) URL",
    "mastodon/like.json": "Activity",
    "mastodon/move_docs_example.json": "Activity",
    "mastodon/note_with_contentmap_language.json": "APObject",
    "mastodon/person_masto_qa.json": "RemoteActor",
    "mastodon/reject_follow.json": "Activity",
    "mastodon/undo_announce.json": "refused: unsupported JSON-LD context",
    "mastodon/undo_follow.json": "Activity",
    "mastodon/undo_like.json": "Activity",
    "mastodon/update_person_mastodon_art.json": "Activity",
    "mastodon/webfinger_response.json": "refused: JRD rel=self href must be an absolute http(s) URL",
    "misskey/like_reaction.json": "Activity",
    "misskey/note_misskey_io.json": "APObject",
    "misskey/person_misskey_io.json": "RemoteActor",
    "oeee-cafe/person_oekaki_art_site.json": "RemoteActor",
    "peertube/video_with_licence.json": "APObject",
    "pixelfed/announce.json": "Activity",
    "pixelfed/create_note_reply.json": "Activity",
    "pixelfed/create_note_with_image.json": "Activity",
    "pleroma/create_note.json": "Activity",
    "takahe/person_compacted_keys.json": "RemoteActor",
}


def fixture(rel: str) -> dict[str, Any]:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def parse_fixture(rel: str, doc: Any) -> RemoteActor | Activity | APObject | WebfingerResult:
    """WebFinger JRDs go to parse_webfinger; every AS2 document is dispatched by its type."""
    if "webfinger" in Path(rel).name:
        return parse_webfinger(doc)
    return parse_document(doc)


def outcome(rel: str, doc: Any) -> str:
    try:
        return type(parse_fixture(rel, doc)).__name__
    except ParseError as exc:
        return f"refused: {exc}"


def test_the_fixture_folder_has_every_recorded_payload():
    present = {str(path.relative_to(FIXTURES)) for path in ALL_FILES}
    assert sorted(set(EXPECTED) - present) == [], f"recorded payloads missing from {FIXTURES}"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_parses_or_is_refused_with_a_reason(path: Path):
    rel = str(path.relative_to(FIXTURES))
    doc = json.loads(path.read_text(encoding="utf-8"))
    result = outcome(rel, doc)  # anything but ParseError propagates and fails the test
    if result.startswith("refused: "):
        assert len(result) > len("refused: ") + 10, f"{rel}: refusal reason too vague: {result!r}"
    expected = EXPECTED.get(rel)
    if expected is None:
        return  # a fixture added later: parsing or a clear refusal is all we can ask
    if expected.startswith("refused: "):
        assert result.startswith(expected), f"{rel}: expected {expected!r}, got {result!r}"
    else:
        assert result == expected, f"{rel}: expected {expected!r}, got {result!r}"


# --- actors ---------------------------------------------------------------------------------


def test_mastodon_actor_fields():
    actor = parse_actor(fixture("mastodon/actor_person_activitypub_academy.json"))
    base = "https://activitypub.academy/users/brauca_darradiul"
    assert actor.id == base
    assert actor.type == "Person"
    assert actor.preferred_username == "brauca_darradiul"
    assert actor.name == "Brauca Darradiul"
    assert actor.summary == ""
    assert actor.inbox == f"{base}/inbox"
    assert actor.outbox == f"{base}/outbox"
    assert actor.shared_inbox == "https://activitypub.academy/inbox"
    assert actor.delivery_inbox == "https://activitypub.academy/inbox"
    assert actor.followers == f"{base}/followers"
    assert actor.following == f"{base}/following"
    assert actor.featured == f"{base}/collections/featured"
    assert actor.url == "https://activitypub.academy/@brauca_darradiul"
    assert len(actor.public_keys) == 1
    key = actor.public_keys[0]
    assert key.id == f"{base}#main-key"
    assert key.owner == base
    assert key.pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert actor.key(f"{base}#main-key") is key
    assert actor.fields == ()
    assert actor.manually_approves_followers is False
    assert actor.discoverable is False
    assert actor.indexable is False  # absent means false
    assert actor.published == datetime(2024, 9, 12, tzinfo=timezone.utc)
    assert actor.icon_url is None and actor.image_url is None
    assert actor.moved_to is None and actor.also_known_as == ()
    assert actor.domain == "activitypub.academy"
    assert not actor.is_bot


def test_mastodon_qa_actor_avatar_from_image_object():
    actor = parse_actor(fixture("mastodon/person_masto_qa.json"))
    assert actor.icon_url is not None and actor.icon_url.endswith("/original/2cf61ff96e94cb1d.png")
    assert actor.image_url is None
    assert actor.shared_inbox == "https://masto.qa.urbanwildlife.biz/inbox"


def test_takahe_compacted_keys_are_ignored_like_mastodon_does():
    actor = parse_actor(fixture("takahe/person_compacted_keys.json"))
    assert actor.id == "https://fedi.vision/@vote@fedi.vision/"
    assert actor.preferred_username == "vote"
    assert actor.discoverable is False  # only "toot:discoverable" is present: not read
    assert actor.fields == ()  # attachment is a single object, not an array
    assert actor.raw["attachment"]["name"] == "More details"  # still kept verbatim
    assert actor.shared_inbox == "https://fedi.vision/inbox/"
    assert actor.url == "https://fedi.vision/@vote/"
    assert actor.icon_url is not None and actor.icon_url.endswith(".webp")
    assert [k.id for k in actor.public_keys] == ["https://fedi.vision/@vote@fedi.vision/#main-key"]


def test_gotosocial_person_fields_and_flags():
    actor = parse_actor(fixture("gotosocial/person_with_fields.json"))
    assert actor.id == "http://localhost:8080/users/1happyturtle"
    assert actor.fields == (("should you follow me?", "maybe!"), ("age", "120"))
    assert actor.manually_approves_followers is True
    assert actor.discoverable is False
    assert actor.featured == "http://localhost:8080/users/1happyturtle/collections/featured"
    assert actor.shared_inbox is None
    assert actor.delivery_inbox == actor.inbox
    assert actor.name == "happy little turtle :3"
    assert actor.summary == "<p>i post about things that concern me</p>"
    assert actor.url == "http://localhost:8080/@1happyturtle"
    assert actor.public_keys[0].id == "http://localhost:8080/users/1happyturtle#main-key"


def test_misskey_person_top_level_shared_inbox_and_images():
    actor = parse_actor(fixture("misskey/person_misskey_io.json"))
    assert actor.shared_inbox == "https://misskey.io/inbox"
    assert actor.discoverable is True
    assert actor.icon_url == "https://s3.arkjp.net/misskey/webpublic-3f7e93c0-34f5-443c-acc0-f415cb2342b4.jpg"
    assert actor.image_url == "https://s3.arkjp.net/misskey/webpublic-2db63d1d-490b-488b-ab62-c93c285f26b6.png"
    assert actor.name == "あいむ"


def test_oeee_cafe_minimal_art_site_person():
    actor = parse_actor(fixture("oeee-cafe/person_oekaki_art_site.json"))
    assert actor.preferred_username == "hongminhee"
    assert actor.shared_inbox == "https://oeee.cafe/inbox"
    assert actor.following is None and actor.featured is None
    assert actor.url == "https://oeee.cafe/@hongminhee"


def test_mastodon_instance_actor_parses_once_the_template_is_filled():
    text = json.dumps(fixture("mastodon/instance_actor_application.json")).replace("{{DOMAIN}}", "mastodon.example")
    actor = parse_actor(json.loads(text))
    assert actor.type == "Application"
    assert actor.is_bot
    assert actor.preferred_username == "mastodon.example"
    assert actor.manually_approves_followers is True
    assert actor.shared_inbox == "https://mastodon.example/inbox"
    assert actor.url == "https://mastodon.example/about/more?instance_actor=true"


# --- activities -----------------------------------------------------------------------------


def test_mastodon_follow():
    activity = parse_activity(fixture("mastodon/follow.json"))
    assert activity.id == "https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf"
    assert activity.type == "Follow"
    assert activity.actor == "https://masto.asonix.dog/users/asonix"
    assert activity.object_id == "https://ds9.lemmy.ml/c/testcom"
    assert activity.object is None
    assert activity.object_type is None


def test_mastodon_accept_follow_embeds_the_follow():
    activity = parse_activity(fixture("mastodon/accept_follow.json"))
    assert activity.type == "Accept"
    assert activity.actor == "http://mastodon.example.org/users/admin"
    assert activity.object_id == "http://localtesting.pleroma.lol/users/lain#follows/4"
    assert activity.object_type == "Follow"
    assert activity.object_actor == "http://localtesting.pleroma.lol/users/lain"
    assert activity.object_object_id == "http://mastodon.example.org/users/admin"
    follow = parse_activity(activity.object, embedded=True)
    assert follow.id == "http://localtesting.pleroma.lol/users/lain#follows/4"
    assert follow.type == "Follow"


def test_mastodon_reject_follow_embeds_the_follow():
    activity = parse_activity(fixture("mastodon/reject_follow.json"))
    assert activity.type == "Reject"
    assert activity.object_type == "Follow"
    assert activity.object_id == "http://localtesting.pleroma.lol/users/lain#follows/4"


def test_mastodon_undo_follow_embeds_the_original_follow():
    activity = parse_activity(fixture("mastodon/undo_follow.json"))
    assert activity.id == "https://masto.asonix.dog/users/asonix#follows/449/undo"
    assert activity.type == "Undo"
    assert activity.object_type == "Follow"
    assert activity.object_id == "https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf"
    assert activity.object_actor == "https://masto.asonix.dog/users/asonix"
    assert activity.object_object_id == "https://ds9.lemmy.ml/c/testcom"
    assert activity.object == fixture("mastodon/undo_follow.json")["object"]


def test_mastodon_undo_like():
    activity = parse_activity(fixture("mastodon/undo_like.json"))
    assert activity.object_type == "Like"
    assert activity.object_id == "https://mastodon.madrid/users/felix#likes/212341"
    assert activity.object_object_id == "https://ds9.lemmy.ml/post/147"


def test_mastodon_create_note_with_image():
    activity = parse_activity(fixture("mastodon/create_note_with_image_mastodon_social.json"))
    assert activity.type == "Create"
    assert activity.object_type == "Note"
    assert activity.object_id == "https://mastodon.social/users/mczachurski/statuses/111000972200397678"
    assert activity.to == (AS_PUBLIC,)
    assert activity.cc == ("https://mastodon.social/users/mczachurski/followers",)
    assert activity.is_public
    assert activity.published == datetime(2023, 9, 3, 11, 27, tzinfo=timezone.utc)
    note = parse_object(activity.object, embedded=True)
    assert note.type == "Note"
    assert note.attributed_to == "https://mastodon.social/users/mczachurski"
    assert note.raw["attachment"][0]["mediaType"] == "image/png"


def test_mastodon_reply_is_followers_addressed_and_unlisted():
    activity = parse_activity(fixture("mastodon/create_note_reply_mention.json"))
    assert activity.to == ("https://mastodon.madrid/users/felix/followers",)
    assert activity.cc == (AS_PUBLIC, "https://mamot.fr/users/retiolus")
    note = parse_object(activity.object, embedded=True)
    assert note.in_reply_to == "https://mamot.fr/users/retiolus/statuses/107224244380204526"


def test_mastodon_delete_with_tombstone():
    activity = parse_activity(fixture("mastodon/delete_note_tombstone.json"))
    assert activity.type == "Delete"
    assert activity.object_type == "Tombstone"
    assert activity.object_id == "https://mastodon.madrid/users/felix/statuses/107773559874184870"


def test_mastodon_flag_lists_every_reported_object():
    activity = parse_activity(fixture("mastodon/flag.json"))
    assert activity.type == "Flag"
    assert activity.object_id == "https://example.com/users/1"
    assert activity.object_ids == (
        "https://example.com/users/1",
        "https://example.com/posts/380590",
        "https://example.com/posts/380591",
    )
    assert activity.object is None
    assert activity.to == ("https://example.com/users/1",)


def test_move_has_object_and_target():
    activity = parse_activity(fixture("mastodon/move_docs_example.json"))
    assert activity.type == "Move"
    assert activity.actor == activity.object_id == "https://mastodon.example/users/alice"
    assert activity.target_id == "https://alice.com/users/109835986274379"
    gts = parse_activity(fixture("gotosocial/move.json"))
    assert gts.target_id == "https://turnip.farm/users/turniplover6969"
    assert gts.to == ("http://fossbros-anonymous.io/users/foss_satan/followers",)


def test_update_person_carries_a_full_actor():
    activity = parse_activity(fixture("mastodon/update_person_mastodon_art.json"))
    assert activity.type == "Update"
    assert activity.object_type == "Person"
    actor = parse_actor(activity.object, embedded=True)
    assert actor.id == activity.actor == "https://mastodon.art/users/alinamiko"
    assert actor.discoverable is True
    assert actor.indexable is False
    assert actor.fields[0] == ("My book", "www.WhatACharmingHouse.com")
    assert actor.fields[2] == ("“she said” ‘zine", "VALUE")
    assert len(actor.fields) == 4
    assert actor.image_url is not None and actor.image_url.endswith("07c39250522c8a32.jpeg")
    with pytest.raises(ParseError, match="unsupported JSON-LD context"):
        parse_actor(activity.object)  # an embedded actor has no @context of its own


def test_gotosocial_update_person_with_a_real_id_parses_and_embeds_a_person():
    doc = fixture("gotosocial/update_person.json")
    doc["id"] = "http://localhost:8080/users/the_mighty_zork/updates/01HXYZ"
    activity = parse_activity(doc)
    assert activity.to == (AS_PUBLIC,)
    actor = parse_actor(activity.object, embedded=True)
    # GoToSocial's key id is "/main-key" (no fragment) on the actor's host: kept inline
    assert actor.public_keys[0].id == "http://localhost:8080/users/the_mighty_zork/main-key"
    assert actor.icon_url is not None and actor.icon_url.endswith("01F8MH58A357CV5K7R7TJMSH6S.jpg")


def test_announce_and_like_objects_are_bare_ids():
    announce = parse_activity(fixture("pixelfed/announce.json"))
    assert announce.object_id == "https://mastodonapp.uk/@damianward/111322877716364793"
    assert announce.published is not None and announce.published.utcoffset().total_seconds() == 0
    like = parse_activity(fixture("misskey/like_reaction.json"))
    assert like.object_id == "https://testing.pleroma.lol/objects/c331bbf7-2eb9-4801-a709-2a6103492a5a"
    assert like.raw["_misskey_reaction"] == ":pudding:"


def test_pleroma_create_with_litepub_context():
    activity = parse_activity(fixture("pleroma/create_note.json"))
    assert activity.object_type == "Note"
    assert AS_PUBLIC in activity.to


def test_lemmy_accept_is_only_refused_for_its_missing_context():
    doc = fixture("lemmy/accept_follow.json")
    doc["@context"] = "https://www.w3.org/ns/activitystreams"
    activity = parse_activity(doc)
    assert activity.object_type == "Follow"
    assert activity.object_id == "http://ds9.lemmy.ml/activities/follow/6abcd50b-b8ca-4952-86b0-a6dd8cc12866"


def test_objects_parse_generically():
    video = parse_object(fixture("peertube/video_with_licence.json"))
    assert video.type == "Video"
    assert video.attributed_to == "https://tilvids.com/accounts/thelinuxexperiment"
    featured = parse_object(fixture("mastodon/featured_collection.json"))
    assert featured.type == "OrderedCollection"
    note = parse_object(fixture("mastodon/note_with_contentmap_language.json"))
    assert note.cc == ("https://mastodon.social/users/akkoma_ap_integration_tester/followers",)
    gts = parse_object(fixture("gotosocial/note_with_image_emoji_hashtag.json"))
    assert gts.to == (AS_PUBLIC,)  # a bare string audience becomes a 1-tuple


# --- webfinger ------------------------------------------------------------------------------


def test_mastodon_webfinger_once_the_template_is_filled():
    text = json.dumps(fixture("mastodon/webfinger_response.json"))
    for placeholder, value in {"{{nickname}}": "alice", "{{domain}}": "example.com", "{{subdomain}}": "ap.example.com"}.items():
        text = text.replace(placeholder, value)
    result = parse_webfinger(json.loads(text))
    assert result.subject == "acct:alice@example.com"
    assert result.acct == "alice@example.com"
    assert result.username == "alice" and result.domain == "example.com"
    assert result.actor_url == "https://ap.example.com/users/alice"
    assert result.profile_url == "https://ap.example.com/@alice"
    assert result.aliases == ("https://ap.example.com/@alice", "https://ap.example.com/users/alice")
