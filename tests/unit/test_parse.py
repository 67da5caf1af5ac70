"""parse.py rules, one behaviour per test, on small hand-made documents (Mastodon's rules, §2 and §5-§7)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fediverse.activitypub.parse import (
    has_as_context,
    object_id,
    parse_activity,
    parse_actor,
    parse_document,
    parse_key_document,
    parse_object,
    parse_webfinger,
)
from fediverse.activitypub.vocab import (
    AS_CONTEXT,
    AS_PUBLIC,
    MAX_FIELD_CHARS,
    MAX_FIELDS,
    MAX_NAME_CHARS,
    MAX_PUBLIC_KEYS,
    MAX_SUMMARY_CHARS,
    Activity,
    APObject,
    ParseError,
    RemoteActor,
    is_http_url,
)

ID = "https://art.example/users/mira"
PEM = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"


def actor_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
        "id": ID,
        "type": "Person",
        "preferredUsername": "mira",
        "inbox": f"{ID}/inbox",
        "publicKey": {"id": f"{ID}#main-key", "owner": ID, "publicKeyPem": PEM},
    }
    for key, value in changes.items():
        if value is DELETE:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def activity_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": "https://social.example/9c1e",
        "type": "Follow",
        "actor": "https://social.example/users/bob",
        "object": ID,
    }
    for key, value in changes.items():
        if value is DELETE:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


DELETE = object()


# --- @context -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "context",
    [AS_CONTEXT, [AS_CONTEXT], ["https://w3id.org/security/v1", AS_CONTEXT, {"toot": "http://joinmastodon.org/ns#"}]],
)
def test_context_with_the_as_url_is_supported(context):
    assert has_as_context({"@context": context})
    parse_actor(actor_doc(**{"@context": context}))


@pytest.mark.parametrize(
    "context",
    [
        None,
        DELETE,
        "https://w3id.org/security/v1",
        "http://www.w3.org/ns/activitystreams",  # Mastodon compares the https URL literally
        [{"@context": AS_CONTEXT}],  # nested inside another context (pitfall 1)
        [[AS_CONTEXT]],
        {"as": AS_CONTEXT},
        5,
    ],
)
def test_context_without_the_as_url_is_refused(context):
    with pytest.raises(ParseError, match="unsupported JSON-LD context"):
        parse_actor(actor_doc(**{"@context": context}))
    with pytest.raises(ParseError, match="unsupported JSON-LD context"):
        parse_activity(activity_doc(**{"@context": context}))


# --- actor ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Application", "Group", "Organization", "Person", "Service"])
def test_every_mastodon_actor_type_is_accepted(kind):
    assert parse_actor(actor_doc(type=kind)).type == kind


def test_first_supported_type_of_an_array_wins():
    assert parse_actor(actor_doc(type=["Bot", "Service", "Person"])).type == "Service"


@pytest.mark.parametrize(("kind", "reason"), [("Note", "unsupported actor type 'Note'"), (["Bot"], "unsupported actor type 'Bot'"), (None, "actor has no type"), (7, "actor has no type")])
def test_unsupported_actor_types_are_refused(kind, reason):
    with pytest.raises(ParseError, match=reason):
        parse_actor(actor_doc(type=kind))


@pytest.mark.parametrize("value", ["ftp://art.example/users/mira", "/users/mira", "https://", "https://{{DOMAIN}}/actor", "https://a b/", 3, ["https://art.example/x"], "https://user@evil.example/x"])
def test_actor_id_must_be_an_http_url(value):
    with pytest.raises(ParseError, match="actor id must be an absolute http"):
        parse_actor(actor_doc(id=value))


def test_actor_without_id_is_refused():
    with pytest.raises(ParseError, match="actor has no id"):
        parse_actor(actor_doc(id=DELETE))


@pytest.mark.parametrize("username", [DELETE, None, "", "   ", 42, ["mira"]])
def test_actor_needs_preferred_username_or_webfinger(username):
    with pytest.raises(ParseError, match="neither preferredUsername nor webfinger"):
        parse_actor(actor_doc(preferredUsername=username))


def test_fep_2c59_webfinger_stands_in_for_preferred_username():
    actor = parse_actor(actor_doc(preferredUsername=DELETE, webfinger="acct:mira@art.example"))
    assert actor.preferred_username == "mira"
    assert actor.webfinger == "mira@art.example"


@pytest.mark.parametrize("handle", ["mira", "@mira@art.example", "mira@", "mira@art.example/x", 12, "a b@c"])
def test_malformed_webfinger_handles_are_ignored(handle):
    assert parse_actor(actor_doc(webfinger=handle)).webfinger is None


@pytest.mark.parametrize(
    ("inbox", "expected"),
    [
        (f"{ID}/inbox", f"{ID}/inbox"),
        ([f"{ID}/inbox", "https://other.example/inbox"], f"{ID}/inbox"),
        ({"id": f"{ID}/inbox", "type": "OrderedCollection"}, f"{ID}/inbox"),
    ],
)
def test_inbox_forms_mastodon_accepts(inbox, expected):
    assert parse_actor(actor_doc(inbox=inbox)).inbox == expected


def test_actor_without_inbox_is_refused():
    with pytest.raises(ParseError, match="actor has no inbox"):
        parse_actor(actor_doc(inbox=DELETE))


@pytest.mark.parametrize("inbox", ["", "inbox", [], {}, {"id": 3}, 5, ["/inbox"]])
def test_unusable_inbox_is_refused(inbox):
    with pytest.raises(ParseError, match="inbox must be an absolute http"):
        parse_actor(actor_doc(inbox=inbox))


def test_shared_inbox_from_endpoints_or_top_level():
    assert parse_actor(actor_doc(endpoints={"sharedInbox": "https://art.example/inbox"})).shared_inbox == "https://art.example/inbox"
    assert parse_actor(actor_doc(sharedInbox="https://art.example/inbox")).shared_inbox == "https://art.example/inbox"
    assert parse_actor(actor_doc(endpoints="https://art.example/endpoints")).shared_inbox is None
    assert parse_actor(actor_doc(endpoints={"sharedInbox": 5})).shared_inbox is None


def test_booleans_default_to_false_and_need_real_true():
    actor = parse_actor(actor_doc())
    assert (actor.manually_approves_followers, actor.discoverable, actor.indexable) == (False, False, False)
    actor = parse_actor(actor_doc(manuallyApprovesFollowers=True, discoverable=True, indexable=True))
    assert (actor.manually_approves_followers, actor.discoverable, actor.indexable) == (True, True, True)
    actor = parse_actor(actor_doc(discoverable="true", indexable=1, **{"toot:indexable": True}))
    assert (actor.discoverable, actor.indexable) == (False, False)


def test_names_and_summaries_are_truncated_and_cleaned():
    actor = parse_actor(actor_doc(name="n" * (MAX_NAME_CHARS + 10), summary="s\x00" * MAX_SUMMARY_CHARS))
    assert len(actor.name) == MAX_NAME_CHARS
    assert len(actor.summary) == MAX_SUMMARY_CHARS and "\x00" not in actor.summary
    actor = parse_actor(actor_doc(name=["x"], summary={"en": "hi"}))
    assert (actor.name, actor.summary) == ("", "")


def test_profile_url_must_be_on_the_actor_host():
    assert parse_actor(actor_doc(url="https://art.example/@mira")).url == "https://art.example/@mira"
    assert parse_actor(actor_doc(url="https://elsewhere.example/@mira")).url is None
    assert parse_actor(actor_doc(url="javascript:alert(1)")).url is None


def test_profile_url_from_an_array_takes_the_html_link():
    links = [
        {"type": "Link", "mediaType": "application/json", "href": "https://art.example/mira.json"},
        {"type": "Link", "mediaType": "text/html", "href": "https://art.example/@mira"},
    ]
    assert parse_actor(actor_doc(url=links)).url == "https://art.example/@mira"
    assert parse_actor(actor_doc(url=[{"type": "Link", "href": "https://art.example/@m"}])).url == "https://art.example/@m"
    assert parse_actor(actor_doc(url=["https://art.example/a", "https://art.example/b"])).url == "https://art.example/a"
    assert parse_actor(actor_doc(url=[5, None, {"href": 3}])).url is None


@pytest.mark.parametrize(
    ("icon", "expected"),
    [
        ({"type": "Image", "url": "https://cdn.example/a.png"}, "https://cdn.example/a.png"),
        ({"type": "Image", "url": {"href": "https://cdn.example/a.png"}}, "https://cdn.example/a.png"),
        ({"type": "Image", "url": ["https://cdn.example/a.png", "https://cdn.example/b.png"]}, "https://cdn.example/a.png"),
        ([{"type": "Image", "url": "https://cdn.example/a.png"}], "https://cdn.example/a.png"),
        ({"type": "Link", "href": "https://cdn.example/a.png"}, "https://cdn.example/a.png"),
        ("https://cdn.example/a.png", None),  # Mastodon dereferences a bare string as an AP document
        ({"type": "Document", "url": "https://cdn.example/a.png"}, None),
        ({"type": "Image", "url": "data:image/png;base64,AAAA"}, None),
        ({"type": "Image"}, None),
        (7, None),
    ],
)
def test_icon_is_read_only_from_an_image_object(icon, expected):
    assert parse_actor(actor_doc(icon=icon, image=icon)).icon_url == expected
    assert parse_actor(actor_doc(icon=icon, image=icon)).image_url == expected


def test_profile_fields_come_from_property_values_in_an_array():
    attachment = [
        {"type": "PropertyValue", "name": "Shop", "value": "<a href='https://shop.example'>shop</a>"},
        {"type": "Link", "name": "skip", "href": "https://x.example"},
        {"type": "PropertyValue", "name": "no value"},
        {"type": "PropertyValue", "name": 5, "value": "x"},
        "junk",
        {"type": "PropertyValue", "name": "N" * 3000, "value": "V" * 3000},
    ]
    fields = parse_actor(actor_doc(attachment=attachment)).fields
    assert fields[0] == ("Shop", "<a href='https://shop.example'>shop</a>")
    assert fields[1] == ("N" * MAX_FIELD_CHARS, "V" * MAX_FIELD_CHARS)
    assert len(fields) == 2


def test_profile_fields_are_capped_and_need_an_array():
    many = [{"type": "PropertyValue", "name": f"n{i}", "value": "v"} for i in range(MAX_FIELDS + 20)]
    assert len(parse_actor(actor_doc(attachment=many)).fields) == MAX_FIELDS
    single = {"type": "PropertyValue", "name": "n", "value": "v"}
    assert parse_actor(actor_doc(attachment=single)).fields == ()


def test_public_key_owner_must_be_the_actor():
    doc = actor_doc(publicKey=[
        {"id": f"{ID}#main-key", "owner": ID, "publicKeyPem": PEM},
        {"id": f"{ID}#other", "owner": "https://art.example/users/someone-else", "publicKeyPem": PEM},
        {"id": f"{ID}#no-pem", "owner": ID},
        {"id": f"{ID}#bad-pem", "owner": ID, "publicKeyPem": ["x"]},
        f"{ID}#by-reference",
        {"id": "https://evil.example/keys/1", "owner": ID, "publicKeyPem": PEM},
    ])
    assert [k.id for k in parse_actor(doc).public_keys] == [f"{ID}#main-key"]


def test_at_most_ten_public_keys_are_read():
    keys = [{"id": f"{ID}#k{i}", "owner": ID, "publicKeyPem": PEM} for i in range(MAX_PUBLIC_KEYS + 5)]
    assert len(parse_actor(actor_doc(publicKey=keys)).public_keys) == MAX_PUBLIC_KEYS


def test_actor_without_keys_still_parses():
    assert parse_actor(actor_doc(publicKey=DELETE)).public_keys == ()


def test_moved_to_also_known_as_and_published():
    actor = parse_actor(actor_doc(
        movedTo="https://new.example/users/mira",
        alsoKnownAs=["https://old.example/users/mira", {"id": "https://older.example/u/m"}, 5, "nope", "https://old.example/users/mira"],
        published="2022-11-01T00:00:00Z",
    ))
    assert actor.moved_to == "https://new.example/users/mira"
    assert actor.also_known_as == ("https://old.example/users/mira", "https://older.example/u/m")
    assert actor.published is not None and actor.published.year == 2022
    assert parse_actor(actor_doc(alsoKnownAs="https://old.example/users/mira")).also_known_as == ("https://old.example/users/mira",)
    assert parse_actor(actor_doc(published="yesterday")).published is None
    assert parse_actor(actor_doc(published="2022-11-01T00:00:00")).published.tzinfo is not None


def test_actor_keeps_the_raw_document():
    doc = actor_doc(**{"cara:aiTraining": "notAllowed"})
    actor = parse_actor(doc)
    assert actor.raw["cara:aiTraining"] == "notAllowed"
    assert actor == parse_actor(copy.deepcopy(doc))  # raw is not part of equality
    hash(actor)


# --- activity -------------------------------------------------------------------------------


def test_activity_minimal():
    activity = parse_activity(activity_doc())
    assert (activity.id, activity.type, activity.actor, activity.object_id) == (
        "https://social.example/9c1e", "Follow", "https://social.example/users/bob", ID,
    )
    assert activity.object is None and activity.object_ids == (ID,)
    assert activity.to == () and activity.cc == ()


@pytest.mark.parametrize(("changes", "reason"), [
    ({"id": DELETE}, "activity has no id"),
    ({"id": "urn:uuid:1"}, "activity id must be an absolute http"),
    ({"type": DELETE}, "activity has no type"),
    ({"type": ["", 1]}, "activity has no type"),
    ({"type": "Note"}, "Note is not an activity"),
    ({"type": "Person"}, "Person is not an activity"),
    ({"actor": DELETE}, "activity has no actor"),
    ({"actor": "bob"}, "activity actor must be an absolute http"),
    ({"actor": [{"type": "Person"}]}, "activity has no actor"),
    ({"object": 5}, "activity object must be an id, an object or an array, not a number"),
    ({"object": True}, "not a boolean"),
    ({"object": "not a url"}, "activity object must be an absolute http"),
    ({"object": {"id": "urn:x", "type": "Note"}}, "embedded object id must be an absolute http"),
    ({"object": ["https://a.example/1", 7]}, "activity object must be an absolute http"),
])
def test_unusable_activities_are_refused_with_a_precise_reason(changes, reason):
    with pytest.raises(ParseError, match=reason):
        parse_activity(activity_doc(**changes))


def test_type_and_actor_may_be_arrays_or_objects():
    activity = parse_activity(activity_doc(type=["Like", "EmojiReact"], actor=[{"id": "https://social.example/users/bob", "type": "Person"}]))
    assert activity.type == "Like"
    assert activity.actor == "https://social.example/users/bob"


def test_unknown_activity_types_are_kept_for_the_dispatcher_to_ignore():
    assert parse_activity(activity_doc(type="Wobble")).type == "Wobble"


def test_embedded_object_without_id_is_kept():
    activity = parse_activity(activity_doc(type="Create", object={"type": "Note", "content": "hi"}))
    assert activity.object_id is None
    assert activity.object_type == "Note"
    assert activity.object == {"type": "Note", "content": "hi"}


def test_missing_object_is_allowed():
    activity = parse_activity(activity_doc(object=DELETE))
    assert activity.object_id is None and activity.object is None and activity.object_ids == ()


def test_embedded_object_properties_tolerate_junk():
    activity = parse_activity(activity_doc(type="Undo", object={"id": "https://social.example/f/1", "type": [3], "actor": 5, "object": ["x"]}))
    assert activity.object_type is None
    assert activity.object_actor is None
    assert activity.object_object_id is None


def test_audience_normalises_public_aliases_and_drops_junk():
    activity = parse_activity(activity_doc(
        to=["as:Public", 5, None, {"id": "https://social.example/users/bob/followers"}, "Public", "nope"],
        cc="https://social.example/users/carol",
    ))
    assert activity.to == (AS_PUBLIC, "https://social.example/users/bob/followers")
    assert activity.cc == ("https://social.example/users/carol",)
    assert activity.is_public


def test_embedded_parsing_skips_only_the_context_check():
    follow = {"id": "https://social.example/f/1", "type": "Follow", "actor": "https://social.example/users/bob", "object": ID}
    assert parse_activity(follow, embedded=True).id == "https://social.example/f/1"
    with pytest.raises(ParseError, match="unsupported JSON-LD context"):
        parse_activity(follow)
    with pytest.raises(ParseError, match="activity has no id"):
        parse_activity({k: v for k, v in follow.items() if k != "id"}, embedded=True)


# --- objects, dispatch, keys, webfinger -----------------------------------------------------


def test_parse_document_dispatches_by_type():
    assert isinstance(parse_document(actor_doc()), RemoteActor)
    assert isinstance(parse_document(actor_doc(type=["Bot", "Person"])), RemoteActor)
    assert isinstance(parse_document(activity_doc()), Activity)
    note = {"@context": AS_CONTEXT, "id": "https://social.example/n/1", "type": "Note", "attributedTo": ["https://social.example/users/bob"]}
    parsed = parse_document(note)
    assert isinstance(parsed, APObject)
    assert parsed.attributed_to == "https://social.example/users/bob"


def test_objects_need_id_and_type():
    with pytest.raises(ParseError, match="object has no id"):
        parse_object({"@context": AS_CONTEXT, "type": "Note"})
    with pytest.raises(ParseError, match="object has no type"):
        parse_object({"@context": AS_CONTEXT, "id": "https://social.example/n/1", "type": {"x": 1}})


def test_standalone_key_document():
    key = parse_key_document({"@context": [AS_CONTEXT, "https://w3id.org/security/v1"], "id": f"{ID}/main-key", "owner": ID, "publicKeyPem": PEM})
    assert (key.id, key.owner, key.pem) == (f"{ID}/main-key", ID, PEM)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"owner": DELETE}, "key document has no owner"),
    ({"owner": "mira"}, "key owner must be an absolute http"),
    ({"publicKeyPem": DELETE}, "key document has no publicKeyPem"),
    ({"publicKeyPem": "  "}, "key document has no publicKeyPem"),
    ({"id": DELETE}, "key has no id"),
    ({"@context": "https://w3id.org/security/v1"}, "unsupported JSON-LD context"),
])
def test_unusable_key_documents_are_refused(changes, reason):
    doc = {"@context": AS_CONTEXT, "id": f"{ID}#main-key", "owner": ID, "publicKeyPem": PEM}
    for key, value in changes.items():
        if value is DELETE:
            doc.pop(key)
        else:
            doc[key] = value
    with pytest.raises(ParseError, match=reason):
        parse_key_document(doc)


def jrd(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "subject": "acct:mira@art.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": ID}],
    }
    doc.update(changes)
    return doc


def test_webfinger_accepts_the_ld_json_profile_type_too():
    links = [{"rel": "self", "type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "href": ID}]
    assert parse_webfinger(jrd(links=links)).actor_url == ID


def test_webfinger_skips_self_links_of_other_types():
    links = [
        {"rel": "self", "type": "text/html", "href": "https://art.example/@mira"},
        {"rel": "self", "type": ["application/activity+json"], "href": "https://x.example/"},
        {"rel": "self", "type": "application/activity+json", "href": ID},
    ]
    assert parse_webfinger(jrd(links=links)).actor_url == ID


@pytest.mark.parametrize(("changes", "reason"), [
    ({"subject": None}, "JRD has no subject"),
    ({"subject": ""}, "JRD has no subject"),
    ({"subject": "acct:a b@c"}, "whitespace"),
    ({"links": None}, "JRD has no links array"),
    ({"links": {"rel": "self"}}, "JRD has no links array"),
    ({"links": []}, "no rel=self link of type application/activity"),
    ({"links": [{"rel": "self", "type": "application/json", "href": ID}]}, "no rel=self link"),
    ({"links": [{"rel": "self", "type": "application/activity+json", "href": "/users/mira"}]}, "href must be an absolute http"),
])
def test_unusable_jrds_are_refused(changes, reason):
    with pytest.raises(ParseError, match=reason):
        parse_webfinger(jrd(**changes))


def test_webfinger_acct_helpers():
    result = parse_webfinger(jrd(aliases=["https://art.example/@mira", 5], subject="https://art.example/@mira"))
    assert result.acct is None and result.username is None
    assert result.aliases == ("https://art.example/@mira",)
    assert result.profile_url is None


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("https://a.example/x", "https://a.example/x"),
    ({"id": "https://a.example/x"}, "https://a.example/x"),
    (["https://a.example/x", "https://b.example/y"], "https://a.example/x"),
    ([{"id": "https://a.example/x"}], "https://a.example/x"),
    ([], None), (None, None), (5, None), ({"id": 5}, None), ("a.example/x", None), ([["https://a.example/x"]], None),
])
def test_object_id(value, expected):
    assert object_id(value) == expected


@pytest.mark.parametrize("url", ["https://a.example", "http://localhost:8080/users/x", "https://[::1]/x", "https://bücher.example/x", "https://fedi.vision/@vote@fedi.vision/"])
def test_valid_urls(url):
    assert is_http_url(url)


@pytest.mark.parametrize("url", ["", "https://", "https:///x", "https://a.example:99999/", "https://a\x00.example/", "https://a.example/\n", "mailto:a@b", "https://[zz]/", "https://.a.example/", "https://" + "a" * 3000 + ".example/"])
def test_invalid_urls(url):
    assert not is_http_url(url)


@pytest.mark.parametrize("parser", [parse_actor, parse_activity, parse_object, parse_key_document, parse_webfinger, parse_document])
@pytest.mark.parametrize("doc", [None, [], "x", 5, 1.5, True, [{"id": ID}]])
def test_non_objects_are_refused_by_every_parser(parser, doc):
    with pytest.raises(ParseError, match="must be a JSON object, not"):
        parser(doc)
