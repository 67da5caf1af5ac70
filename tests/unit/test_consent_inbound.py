"""Honouring inbound signals (consent doc §16): remote AP JSON, response headers, combining with provenance.

Hostile inputs (duplicated headers, odd casing, user-agent-scoped values, malformed structured fields, wrong
JSON types) give clear results, never an exception.
"""

from __future__ import annotations

from typing import Any

import pytest

from fediverse.consent import (
    CONSENT_NS,
    ConsentRecord,
    InboundSignals,
    combine,
    http_headers,
    jsonld_properties,
    parse_content_usage,
    signals_from_activitypub,
    signals_from_headers,
    x_robots_directives,
)

CC = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
PLUS = "http://ns.useplus.org/ldf/vocab/"
DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _consent(s: InboundSignals) -> tuple[Any, Any, Any, Any]:
    return s.ai_training, s.tdm_reserved, s.ai_input, s.search


# --- X-Robots-Tag ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["noai"], {"noai"}),
        (["noai, noimageai"], {"noai", "noimageai"}),
        (["noai", "noimageai"], {"noai", "noimageai"}),
        (["NoAI,NOIMAGEAI"], {"noai", "noimageai"}),
        (["  noai ,, , noimageai  "], {"noai", "noimageai"}),
        (["googlebot: noindex"], set()),
        (["fediverse: noai"], {"noai"}),
        (["Fediverse: NoAI, noimageai"], {"noai", "noimageai"}),  # scope lasts to the end of the line
        (["noarchive, otherbot: noindex, nofollow"], {"noarchive"}),
        (["max-image-preview:large, noai"], {"max-image-preview", "noai"}),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], {"unavailable_after"}),
        (["img2dataset: noai", "noimageai"], {"noimageai"}),
        ([""], set()),
    ],
)
def test_x_robots_tag_directives_for_us(lines: list[str], expected: set[str]) -> None:
    mine, _ = x_robots_directives(lines)
    assert mine == expected


def test_x_robots_tag_other_user_agents_are_reported_not_applied() -> None:
    s = signals_from_headers([("X-Robots-Tag", "GPTBot: noai"), ("X-Robots-Tag", "noindex")])
    assert _consent(s) == (None, None, None, False)
    assert any(p.meaning.startswith("ignored: scoped to user agent 'gptbot'") for p in s.provenance)
    scoped_to_us = signals_from_headers([("X-Robots-Tag", "myfetcher: noai")], user_agent_tokens=["MyFetcher"])
    assert scoped_to_us.ai_training == "none"


def test_duplicated_headers_odd_casing_and_bytes() -> None:
    headers = [(b"x-robots-TAG", b"noindex"), ("X-ROBOTS-TAG", "noimageai"), ("TDM-Reservation", "0"),
               ("tdm-reservation", "1"), ("content-usage", "search=y"), ("CONTENT-USAGE", "train-ai=n")]
    s = signals_from_headers(headers)
    assert _consent(s) == ("none", True, None, False)  # any 1 wins; Content-Usage lines are one dictionary


def test_headers_from_a_mapping_and_multi_items() -> None:
    class MultiHeaders:
        def multi_items(self) -> list[tuple[str, str]]:
            return [("X-Robots-Tag", "noai"), ("X-Robots-Tag", "noindex")]

    assert _consent(signals_from_headers(MultiHeaders())) == ("none", None, None, False)
    assert signals_from_headers({"Content-Usage": "train-ai=y"}).ai_training == "allowed"
    assert _consent(signals_from_headers(None)) == (None, None, None, None)
    assert _consent(signals_from_headers([("broken",), 5, ("a", "b", "c")])) == (None, None, None, None)


def test_our_own_headers_read_back() -> None:
    record = ConsentRecord(licence_url=CC, search=False)
    s = signals_from_headers(http_headers(record, policy_url="https://example.social/policies/tdm/ana"))
    assert _consent(s) == ("none", True, False, False)
    assert s.licence_url == CC and s.tdm_policy == "https://example.social/policies/tdm/ana"
    assert s.problems == ()
    open_ = ConsentRecord(ai_training="allowed", tdm_reserved=False, ai_input=True)
    assert _consent(signals_from_headers(http_headers(open_))) == ("allowed", False, None, True)


# --- tdm-reservation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2", "yes", "true", "", " 1 1", "01", "-1"])
def test_tdm_reservation_other_values_are_a_protocol_error(value: str) -> None:
    s = signals_from_headers([("tdm-reservation", value)])
    assert s.tdm_reserved is None
    assert s.problems and "counts as unset" in s.problems[0].meaning


def test_tdm_reservation_whitespace_is_tolerated() -> None:
    assert signals_from_headers([("tdm-reservation", " 1 ")]).tdm_reserved is True


# --- Content-Usage --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "prefs"),
    [
        ("train-ai=n", {"train-ai": False}),
        ("train-ai=n, search=y", {"train-ai": False, "search": True}),
        ("train-ai=y, train-ai=n", {"train-ai": False}),  # duplicates: last wins
        ("train-ai=n, train-ai=y", {"train-ai": True}),
        ('train-ai="n"', {}),  # a String, not the Token n: unknown
        ("train-ai=maybe", {}),
        ("train-ai", {}),  # bare key = boolean true, not y/n
        ("train-ai=n;reason=x, future-label=y", {"train-ai": False, "future-label": True}),
        ("train-ai=(n y)", {}),
        ("   train-ai=n   ", {"train-ai": False}),
    ],
)
def test_content_usage_parses(value: str, prefs: dict[str, bool]) -> None:
    parsed = parse_content_usage(value)
    assert parsed.status == "ok" and dict(parsed.preferences) == prefs


@pytest.mark.parametrize(
    "value",
    ["Train-AI=n", "train-ai=n,", ",train-ai=n", "train-ai==n", "train-ai=n search=y", "train-ai=n;",
     "train-ai=\"unterminated", "train-ai=n, ", "tr\u00e4in=n", "train-ai=n\x00", "1abc=y", "train-ai=(n",
     "train-ai=:!!:", "train-ai=?2", "train-ai=1234567890123456"],
)
def test_malformed_content_usage_is_unparseable_with_a_reason(value: str) -> None:
    parsed = parse_content_usage(value)
    assert parsed.status == "unparseable" and parsed.error and parsed.preferences == {}
    s = signals_from_headers([("Content-Usage", value)])
    assert s.ai_training is None and s.search is None
    assert s.unparseable and s.problems[0].meaning.startswith("unparseable: not an RFC 9651 dictionary")


def test_content_usage_absent() -> None:
    assert parse_content_usage(None).status == "absent"
    assert parse_content_usage(["", "  "]).status == "absent"


@pytest.mark.parametrize(
    ("value", "consent"),
    [
        ("train-ai=n", ("none", None, None, None)),
        ("train-genai=n", ("no_generative", None, None, None)),  # vocab-03
        ("ai=n", ("none", None, None, None)),  # attach-00
        ("tdm=n, inference=n", (None, True, False, None)),  # vocab-01
        ("search=n", (None, None, None, False)),
        ("bots=n", ("none", True, False, None)),
        ("ai-input=y", (None, None, True, None)),
    ],
)
def test_content_usage_older_labels_are_read_leniently(value: str, consent: tuple) -> None:  # type: ignore[type-arg]
    assert _consent(signals_from_headers([("Content-Usage", value)])) == consent


def test_content_usage_structured_field_extras() -> None:
    parsed = parse_content_usage('a=1, b=-2.5, c="s\\"x", d=:aGk=:, e=?1, f=@1700000000, g=%"caf%c3%a9", h=(1 2);p')
    assert parsed.status == "ok" and parsed.preferences == {}


# --- ActivityPub JSON -----------------------------------------------------------------------------------------------


def test_our_own_actor_document_reads_back() -> None:
    record = ConsentRecord(licence_url=CC, attribution="Ana Artist")
    actor = {"type": "Person", "id": "https://a.example/users/ana",
             **jsonld_properties(record, kind="actor", policy_url="https://a.example/policies/tdm/ana")}
    s = signals_from_activitypub(actor)
    assert _consent(s) == ("none", True, False, True)
    assert s.licence_url == CC and s.attribution == "Ana Artist"
    assert s.tdm_policy == "https://a.example/policies/tdm/ana"
    assert s.problems == ()
    assert s.to_record(ConsentRecord(ai_training="allowed", show_licence_line=False)) == ConsentRecord(
        licence_url=CC, attribution="Ana Artist", show_licence_line=False)


def test_fep_5e53_and_kmyblue_and_mastodon() -> None:
    note = {"type": "Note", "content": "…", "xRobotsTag": "noai", "SPC": 1}
    assert signals_from_activitypub(note).ai_training == "none"
    kmyblue = {"type": "Person", "indexable": True,
               "otherSetting": [{"type": "PropertyValue", "name": "noindex", "value": False},
                                {"type": "PropertyValue", "name": "noai", "value": True}]}
    assert _consent(signals_from_activitypub(kmyblue)) == ("none", None, None, True)
    mastodon = {"type": "Person", "discoverable": True}
    s = signals_from_activitypub(mastodon)
    assert s.search is False  # FEP-5feb: a missing indexable SHOULD be treated as false
    assert any("absent" in p.value for p in s.provenance)
    assert signals_from_activitypub({"type": "Note"}).search is None  # objects inherit from their actor


def test_searchable_by() -> None:
    public = {"type": "Note", "searchableBy": ["https://www.w3.org/ns/activitystreams#Public"]}
    assert signals_from_activitypub(public).search is True
    own = {"type": "Note", "searchableBy": "https://k.example/users/kmy"}
    assert signals_from_activitypub(own).search is False
    assert signals_from_activitypub({"type": "Note", "searchableBy": []}).search is None  # empty array = absent


@pytest.mark.parametrize(
    ("doc", "url", "text"),
    [
        ({"license": CC}, CC, None),
        ({"licence": CC}, CC, None),
        ({"schema:license": {"@id": CC}}, CC, None),
        ({"http://schema.org#license": [{"@id": CC}]}, CC, None),
        ({"https://schema.org/license": CC}, CC, None),
        ({"http://schema.org/license": {"id": CC}}, CC, None),
        ({"licence": {"identifier": "1", "name": "Attribution"}}, None, "Attribution"),  # PeerTube
        ({"_misskey_license": {"freeText": "CC BY 4.0, ask first"}}, None, "CC BY 4.0, ask first"),
        ({"license": "All rights reserved"}, None, "All rights reserved"),
        ({"license": "javascript:alert(1)"}, None, "javascript:alert(1)"),
    ],
)
def test_licence_forms(doc: dict[str, Any], url: str | None, text: str | None) -> None:
    s = signals_from_activitypub({"type": "Note", **doc})
    assert (s.licence_url, s.licence_text) == (url, text)


def test_full_iri_keys_and_value_objects() -> None:
    doc = {"type": "Image",
           CONSENT_NS + "contentUsage": {"@value": "train-ai=n"},
           "http://www.w3.org/ns/tdmrep#reservation": [{"@value": 1}],
           "http://ns.useplus.org/ldf/xmp/1.0/DataMining": {"@id": PLUS + "DMI-PROHIBITED-GENAIMLTRAINING"},
           "digitalSourceType": "https://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic"}
    s = signals_from_activitypub(doc)
    assert _consent(s) == ("none", True, None, None)
    assert s.digital_source_type == DST + "compositeSynthetic"


@pytest.mark.parametrize(
    "doc",
    [
        None, "a string", 42, [], [{"xRobotsTag": "noai"}],
        {"xRobotsTag": 5}, {"xRobotsTag": {"nested": True}}, {"xRobotsTag": ["noai", 7, None]},
        {"contentUsage": ["train-ai=n", "x"]}, {"contentUsage": 12}, {"contentUsage": "Train-AI=N"},
        {"aiTraining": "sometimes"}, {"aiTraining": ["none"]}, {"aiInput": "perhaps"},
        {"tdmReservation": "yes"}, {"tdmReservation": 2}, {"tdmReservation": None}, {"tdmReservation": True},
        {"tdmPolicy": "not a url"}, {"dataMining": "DMI-NOPE"}, {"dataMining": {"@id": 5}},
        {"otherSetting": "noai"}, {"otherSetting": [1, "x", {"name": "noai"}, {"name": "noai", "value": "true"}]},
        {"indexable": "yes"}, {"indexable": [True]}, {"searchableBy": [{"id": None}, 3]},
        {"license": {"deep": {"deeper": {}}}}, {"license": ["", None]}, {"creditText": ["x" * 10_000]},
        {"digitalSourceType": "madeByHand"}, {"type": ["Person", 5], "indexable": None},
        {"_misskey_license": "text"}, {"xRobotsTag": "a" * 100_000},
    ],
)
def test_hostile_json_never_crashes(doc: Any) -> None:
    s = signals_from_activitypub(doc)
    assert isinstance(s, InboundSignals)
    for p in s.provenance:
        assert len(p.value) <= 200


def test_hostile_json_is_reported() -> None:
    assert signals_from_activitypub("x").problems[0].meaning == "unparseable: not a JSON object"
    s = signals_from_activitypub({"type": "Note", "aiTraining": "sometimes", "contentUsage": "Train-AI=N"})
    assert len(s.problems) == 2 and s.ai_training is None
    s = signals_from_activitypub({"type": "Note", "tdmReservation": True, "otherSetting": [
        {"name": "noai", "value": "true"}]})
    assert s.tdm_reserved is True and s.ai_training == "none"


# --- combining --------------------------------------------------------------------------------------------------------


def test_any_disallow_wins_and_provenance_is_kept() -> None:
    actor = signals_from_activitypub({"type": "Person", "indexable": True, "contentUsage": "train-ai=y"})
    note = signals_from_activitypub({"type": "Note", "aiTraining": "no_generative"})
    media = signals_from_headers([("X-Robots-Tag", "noimageai"), ("Content-Usage", "search=y")])
    merged = combine(actor, note, media)
    assert merged.ai_training == "none" and merged.search is True
    assert {p.source for p in merged.provenance} == {"activitypub", "http"}
    assert [p.signal for p in merged.provenance if p.source == "http"] == ["X-Robots-Tag", "Content-Usage"]
    assert actor.combine(note).ai_training == "no_generative"


def test_allow_then_unknown() -> None:
    allow = signals_from_headers([("Content-Usage", "train-ai=y")])
    assert combine(allow, InboundSignals()).ai_training == "allowed"
    assert combine().ai_training is None and not combine().known
    assert combine(InboundSignals(search=True), InboundSignals(search=False)).search is False
    assert combine(InboundSignals(tdm_reserved=False), InboundSignals(tdm_reserved=True)).tdm_reserved is True


def test_ai_source_type_wins_when_combining() -> None:
    a = InboundSignals(digital_source_type=DST + "digitalCreation")
    b = InboundSignals(digital_source_type=DST + "trainedAlgorithmicMedia")
    assert combine(a, b).digital_source_type == DST + "trainedAlgorithmicMedia"
    assert combine(b, a).digital_source_type == DST + "trainedAlgorithmicMedia"


def test_to_record_fills_unknowns_from_the_instance_policy() -> None:
    default = ConsentRecord()
    assert InboundSignals().to_record(default) == default
    allowed = signals_from_headers([("Content-Usage", "train-ai=y, search=n")]).to_record(default)
    assert allowed.ai_training == "allowed" and allowed.search is False
    assert allowed.tdm_reserved is True and not allowed.allows_ai_training()  # unknown TDM: instance policy
    creator_only = InboundSignals(creator="  Bo   Painter ").to_record(default)
    assert creator_only.attribution == "Bo Painter"


def test_unknown_remote_content_is_not_licensed_for_our_ai_features() -> None:
    record = InboundSignals().to_record(ConsentRecord())
    assert not record.allows_ai_training() and not record.allows_ai_input()


@pytest.mark.parametrize(
    ("headers", "consent"),
    [
        ([("X-Robots-Tag", "noarchive")], ("none", None, False, None)),
        ([("X-Robots-Tag", "nocache")], (None, None, False, None)),
        ([("X-Robots-Tag", "none")], (None, None, None, False)),
        ([("X-Robots-Tag", "noml")], ("none", None, None, None)),
        ([("X-Robots-Tag", "all, index, follow")], (None, None, None, None)),
    ],
)
def test_robots_vocabulary(headers: list[tuple[str, str]], consent: tuple) -> None:  # type: ignore[type-arg]
    assert _consent(signals_from_headers(headers)) == consent


def test_link_header_licence() -> None:
    s = signals_from_headers([("Link", '<https://x.example/next>; rel="next", '
                                       f'<{CC}>; rel="license"')])
    assert s.licence_url == CC
    s = signals_from_headers([("link", f"<{CC}>; REL=License")])
    assert s.licence_url == CC
    s = signals_from_headers([("Link", "<javascript:alert(1)>; rel=license")])
    assert s.licence_url is None and any(p.meaning.startswith("ignored") for p in s.provenance)


def test_oversized_header_values_are_refused_not_truncated() -> None:
    s = signals_from_headers([("Content-Usage", "a" * 20_000), ("X-Robots-Tag", "noai, " + "x" * 20_000)])
    assert s.ai_training is None
    assert len(s.problems) == 2 and all("longer than" in p.meaning for p in s.problems)
    assert parse_content_usage("a" * 20_000).status == "unparseable"
    assert parse_content_usage("a" * 10_000).status == "ok"  # a long key is still a valid dictionary
