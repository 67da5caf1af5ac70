"""Emitters: JSON-LD, HTTP headers, HTML head, the visible licence line, robots.txt, tdmrep.json, ai.txt, ODRL.

Every expected string is the exact syntax of shared/docs/consent.md (§§1–3, 5–7, 15).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from fediverse.activitypub.contexts import expand
from fediverse.activitypub.render_works import NOTE_CONTEXT
from fediverse.consent import (
    CONSENT_NS,
    JSONLD_TERMS,
    ConsentOverride,
    ConsentRecord,
    PathRule,
    ai_crawler_tokens,
    ai_txt,
    effective,
    html_head,
    html_head_markup,
    http_headers,
    jsonld_properties,
    licence_line_html,
    licence_name,
    parse_content_usage,
    robots_txt,
    tdm_policy,
    tdmrep_json,
    tdmrep_rules,
    with_consent_terms,
)
from fediverse.errors import Invalid

CC = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
POLICY = "https://example.social/policies/tdm/ana"
PLUS = "http://ns.useplus.org/ldf/vocab/"
IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"
DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
ANA = ConsentRecord(licence_url=CC, attribution="Ana Artist")
OPEN = ConsentRecord(ai_training="allowed", tdm_reserved=False, ai_input=True)
SEARCH_OFF = ConsentRecord(search=False)


# --- JSON-LD ------------------------------------------------------------------------------------------------------


def test_namespace_is_a_fixed_w3id_iri() -> None:
    assert CONSENT_NS == "https://w3id.org/fediverse-consent/ns#"
    assert JSONLD_TERMS["consent"] == CONSENT_NS
    assert JSONLD_TERMS["contentUsage"] == "consent:contentUsage"


def test_context_terms_use_the_standard_iris() -> None:
    t = JSONLD_TERMS
    assert t["tdm"] == "http://www.w3.org/ns/tdmrep#" and t["tdmReservation"] == "tdm:reservation"
    assert t["tdmPolicy"] == {"@id": "tdm:policy", "@type": "@id"}
    assert t["dataMining"] == {"@id": "http://ns.useplus.org/ldf/xmp/1.0/DataMining", "@type": "@id"}
    assert t["digitalSourceType"] == {
        "@id": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/DigitalSourceType", "@type": "@id"}
    assert t["schema"] == "http://schema.org#" and t["license"] == {"@id": "schema:license", "@type": "@id"}
    assert t["xRobotsTag"] == "https://w3id.org/fep/5e53#xRobotsTag"
    assert t["indexable"] == "toot:indexable" and t["otherSetting"] == "fedibird:otherSetting"


def test_terms_merge_into_the_note_context_without_conflict() -> None:
    merged = with_consent_terms(NOTE_CONTEXT)
    assert merged[0] == NOTE_CONTEXT[0]
    assert merged[-1]["blurhash"] == "toot:blurhash" and merged[-1]["contentUsage"] == "consent:contentUsage"
    assert "contentUsage" not in NOTE_CONTEXT[-1]  # the original is not mutated
    with pytest.raises(Invalid, match="license"):
        with_consent_terms(["https://www.w3.org/ns/activitystreams", {"license": "https://schema.org/license"}])
    assert with_consent_terms("https://www.w3.org/ns/activitystreams")[1]["tdm"] == "http://www.w3.org/ns/tdmrep#"


def test_actor_properties_match_the_doc_example() -> None:
    props = jsonld_properties(ANA, kind="actor", policy_url=POLICY)
    assert props == {
        "xRobotsTag": "noai, noimageai, noarchive",
        "contentUsage": "train-ai=n, search=y",
        "tdmReservation": 1,
        "tdmPolicy": POLICY,
        "aiTrainingPolicy": POLICY,
        "dataMining": PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
        "aiTraining": "none",
        "aiInput": False,
        "license": CC,
        "creditText": "Ana Artist",
        "indexable": True,
        "otherSetting": [{"type": "PropertyValue", "name": "noai", "value": True}],
    }


def test_attachment_always_has_a_digital_source_type_object_only_a_declared_one() -> None:
    assert jsonld_properties(ANA, kind="attachment")["digitalSourceType"] == DST + "digitalCreation"
    assert "digitalSourceType" not in jsonld_properties(ANA, kind="object")
    ai = effective(ANA, None, ConsentOverride(digital_source_type="trainedAlgorithmicMedia"))
    assert jsonld_properties(ai, kind="object")["digitalSourceType"] == DST + "trainedAlgorithmicMedia"
    assert "indexable" not in jsonld_properties(ANA, kind="collection")


def test_open_record_has_no_x_robots_and_no_policy() -> None:
    props = jsonld_properties(OPEN, kind="object", policy_url=POLICY)
    assert "xRobotsTag" not in props and "tdmPolicy" not in props
    assert props["tdmReservation"] == 0 and props["contentUsage"] == "train-ai=y, search=y"
    assert props["dataMining"] == PLUS + "DMI-ALLOWED"
    assert jsonld_properties(OPEN, kind="actor")["otherSetting"][0]["value"] is False


def test_json_ld_expands_to_the_standard_iris() -> None:
    """pyld, bundled contexts only: every compact key lands on the IRI the doc names."""
    doc = {"@context": with_consent_terms(NOTE_CONTEXT), "id": "https://example.social/users/ana/statuses/1",
           "type": "Note", **jsonld_properties(ANA, kind="attachment", policy_url=POLICY)}
    expanded = expand(doc)[0]
    assert expanded["https://w3id.org/fep/5e53#xRobotsTag"] == [{"@value": "noai, noimageai, noarchive"}]
    assert expanded[CONSENT_NS + "contentUsage"] == [{"@value": "train-ai=n, search=y"}]
    assert expanded["http://www.w3.org/ns/tdmrep#reservation"] == [{"@value": 1}]
    assert expanded["http://www.w3.org/ns/tdmrep#policy"] == [{"@id": POLICY}]
    assert expanded["http://ns.useplus.org/ldf/xmp/1.0/DataMining"] == [
        {"@id": PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"}]
    assert expanded["http://iptc.org/std/Iptc4xmpExt/2008-02-29/DigitalSourceType"] == [
        {"@id": DST + "digitalCreation"}]
    assert expanded["http://schema.org#license"] == [{"@id": CC}]
    assert expanded["http://schema.org#creditText"] == [{"@value": "Ana Artist"}]
    assert expanded[CONSENT_NS + "aiTraining"] == [{"@value": "none"}]


def test_actor_json_ld_expands_indexable_and_other_setting() -> None:
    doc = {"@context": with_consent_terms(["https://www.w3.org/ns/activitystreams"]),
           "id": "https://example.social/users/ana", "type": "Person", **jsonld_properties(ANA, kind="actor")}
    expanded = expand(doc)[0]
    assert expanded["http://joinmastodon.org/ns#indexable"] == [{"@value": True}]
    setting = expanded["http://fedibird.com/ns#otherSetting"][0]
    assert setting["http://schema.org#value"] == [{"@value": True}]
    assert setting["@type"] == ["http://schema.org#PropertyValue"]


# --- HTTP headers, HTML head ----------------------------------------------------------------------------------------


def test_http_headers_exact() -> None:
    assert http_headers(ANA, policy_url=POLICY) == [
        ("X-Robots-Tag", "noai, noimageai, noarchive"),
        ("tdm-reservation", "1"),
        ("tdm-policy", POLICY),
        ("Content-Usage", "train-ai=n, search=y"),
        ("Link", f'<{CC}>; rel="license"'),
    ]


def test_http_headers_search_opt_out_adds_noindex() -> None:
    headers = dict(http_headers(SEARCH_OFF))
    assert headers["X-Robots-Tag"] == "noai, noimageai, noarchive, noindex, noimageindex"
    assert headers["Content-Usage"] == "train-ai=n, search=n"
    assert headers["Link"] == f'<{IN_COPYRIGHT}>; rel="license"'  # no licence: all rights reserved, said
    assert "tdm-policy" not in headers


def test_http_headers_open_record_and_licence_override() -> None:
    assert http_headers(OPEN, policy_url=POLICY, licence="https://example.social/@bob/licensing") == [
        ("tdm-reservation", "0"),
        ("Content-Usage", "train-ai=y, search=y"),
        ("Link", '<https://example.social/@bob/licensing>; rel="license"'),
    ]


def test_header_values_are_single_line_ascii_and_content_usage_round_trips() -> None:
    for record in (ANA, OPEN, SEARCH_OFF, ConsentRecord(ai_training="no_generative")):
        for name, value in http_headers(record, policy_url=POLICY):
            assert re.fullmatch(r"[\x20-\x7e]+", value), (name, value)
        usage = dict(http_headers(record))["Content-Usage"]
        parsed = parse_content_usage(usage)
        assert parsed.status == "ok"
        assert parsed.preferences == {"train-ai": not record.restricts_training, "search": record.search}


def test_header_injection_through_urls_is_refused() -> None:
    with pytest.raises(Invalid):
        http_headers(ANA, policy_url="https://example.social/p\r\nSet-Cookie: a=b")
    with pytest.raises(Invalid):
        http_headers(ANA, licence="https://example.social/>; rel=\"next\"")


def test_html_head_elements_and_markup() -> None:
    assert html_head(ANA, policy_url=POLICY) == [
        ("meta", {"name": "robots", "content": "noai, noimageai, noarchive"}),
        ("meta", {"name": "tdm-reservation", "content": "1"}),
        ("meta", {"name": "tdm-policy", "content": POLICY}),
        ("link", {"rel": "license", "href": CC}),
    ]
    assert html_head_markup(ANA, policy_url=POLICY) == (
        '<meta name="robots" content="noai, noimageai, noarchive">\n'
        '<meta name="tdm-reservation" content="1">\n'
        f'<meta name="tdm-policy" content="{POLICY}">\n'
        f'<link rel="license" href="{CC}">'
    )
    assert html_head_markup(OPEN) == (
        f'<meta name="tdm-reservation" content="0">\n<link rel="license" href="{IN_COPYRIGHT}">')


def test_html_markup_escapes_ampersands_in_urls() -> None:
    record = ConsentRecord(licence_url="https://example.social/licence?a=1&b=2")
    assert '<link rel="license" href="https://example.social/licence?a=1&amp;b=2">' in html_head_markup(record)


# --- the visible licence line ----------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


def test_licence_line() -> None:
    assert licence_line_html(ANA) == (
        f'<p>Ana Artist · <a href="{CC}" rel="license">CC BY-NC-ND 4.0</a> · No AI training</p>')
    assert licence_line_html(ConsentRecord()) == (
        f'<p><a href="{IN_COPYRIGHT}" rel="license">All rights reserved</a> · No AI training</p>')
    nogen = ConsentRecord(ai_training="no_generative", licence_url="https://example.social/@ana/licensing")
    assert licence_line_html(nogen) == (
        '<p><a href="https://example.social/@ana/licensing" rel="license">Licence</a> · No generative AI training</p>')
    assert licence_line_html(ConsentRecord(show_licence_line=False)) == ""


def test_licence_line_escapes_the_attribution() -> None:
    evil = ConsentRecord(attribution='<script>alert(1)</script> & "Ana"', licence_url=CC)
    html = licence_line_html(evil)
    parser = _Collect()
    parser.feed(html)
    assert [tag for tag, _ in parser.tags] == ["p", "a"]
    assert '<script>alert(1)</script> & "Ana"' in parser.text


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://creativecommons.org/licenses/by/4.0/", "CC BY 4.0"),
        ("http://creativecommons.org/licenses/by-sa/3.0/de/", "CC BY-SA 3.0"),
        ("https://creativecommons.org/licenses/by-nc-nd/4.0/deed.fr", "CC BY-NC-ND 4.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "Public Domain Mark 1.0"),
        ("https://example.social/@ana/license", None),
        ("https://creativecommons.org/licenses/by-xx/4.0/", None),
        ("http://rightsstatements.org/vocab/InC/1.0/", "All rights reserved"),
    ],
)
def test_licence_names(url: str, name: str | None) -> None:
    assert licence_name(url) == name


# --- robots.txt ------------------------------------------------------------------------------------------------------

BOB = effective(ConsentRecord(), ConsentOverride(ai_training="allowed", tdm_reserved=False, ai_input=True))
CARA = ConsentRecord(search=False)


def _group(text: str, first_agent: str) -> list[str]:
    groups = text.split("\n\n")
    for group in groups:
        if f"User-agent: {first_agent}\n" in group + "\n":
            return [line for line in group.splitlines() if not line.startswith("#")]
    raise AssertionError(f"no group for {first_agent}")


def test_robots_txt_refusing_instance_with_an_opted_in_artist() -> None:
    text = robots_txt(ConsentRecord(), [(["/@bob/", "/media/bob-id/"], BOB), (["/@cara/"], CARA)],
                      crawlers=["GPTBot", "CCBot"], disallow=["/api/", "/oauth/"])
    ai = _group(text, "GPTBot")
    assert ai == [
        "User-agent: GPTBot",
        "User-agent: CCBot",
        "Allow: /media/bob-id/",
        "Allow: /@bob/",
        "Disallow: /",
        "Content-Usage: train-ai=n, search=y",
        "Content-Usage: /media/bob-id/ train-ai=y, search=y",
        "Content-Usage: /@cara/ train-ai=n, search=n",
        "Content-Usage: /@bob/ train-ai=y, search=y",
    ]
    star = _group(text, "*")
    assert star[:4] == ["User-agent: *", "Disallow: /api/", "Disallow: /oauth/", "Allow: /"]
    assert star[-1] == "Content-Signal: search=yes, ai-input=no, ai-train=no"
    assert "Content-Usage: /@bob/ train-ai=y, search=y" in star
    assert text.endswith("\n") and "\r" not in text


def test_robots_txt_allowing_instance_lists_refusing_artists() -> None:
    text = robots_txt(OPEN, [(["/@ana/", "/media/ana-id/"], ConsentRecord())], crawlers=["GPTBot"])
    ai = _group(text, "GPTBot")
    assert ai[1:4] == ["Disallow: /media/ana-id/", "Disallow: /@ana/", "Allow: /"]
    assert "Disallow: /\n" not in text
    assert "Content-Signal: search=yes, ai-input=yes, ai-train=yes" in text


def test_robots_txt_uses_the_whole_maintained_list_by_default() -> None:
    text = robots_txt(ConsentRecord())
    agents = [line[len("User-agent: "):] for line in _group(text, ai_crawler_tokens()[0]) if
              line.startswith("User-agent: ")]
    assert agents == list(ai_crawler_tokens())
    assert {"GPTBot", "ClaudeBot", "Google-Extended", "Applebot-Extended", "CCBot", "Bytespider"} <= set(agents)


def test_robots_txt_parses_with_the_standard_library() -> None:
    from urllib.robotparser import RobotFileParser

    parser = RobotFileParser()
    parser.parse(robots_txt(ConsentRecord(), [(["/@bob/"], BOB)], disallow=["/api/"]).splitlines())
    assert not parser.can_fetch("GPTBot", "https://example.social/@ana/1")
    assert parser.can_fetch("GPTBot", "https://example.social/@bob/1")
    assert parser.can_fetch("Mozilla/5.0 Firefox", "https://example.social/@ana/1")
    assert not parser.can_fetch("Mozilla/5.0 Firefox", "https://example.social/api/v1/x")


@pytest.mark.parametrize("bad", ["@bob/", "/@bob/*", "/a b/", "/x$", "/x#y", "/a\nDisallow: /"])
def test_robots_prefixes_are_validated(bad: str) -> None:
    with pytest.raises(Invalid):
        robots_txt(ConsentRecord(), [([bad], BOB)])


def test_non_ascii_prefixes_are_percent_encoded() -> None:
    assert "Allow: /@j%C3%BCrgen/" in robots_txt(ConsentRecord(), [(["/@jürgen/"], BOB)], crawlers=["GPTBot"])


# --- tdmrep.json -----------------------------------------------------------------------------------------------------


def test_tdmrep_whole_site_opt_out() -> None:
    assert json.loads(tdmrep_json(ConsentRecord())) == [{"location": "/", "tdm-reservation": 1}]


def test_tdmrep_most_specific_first_with_policies() -> None:
    rules = tdmrep_rules(
        ConsentRecord(),
        [PathRule(("/@bob/", "/media/bob-id/"), BOB),
         PathRule(("/@ana/",), ConsentRecord(), policy_url="https://example.social/policies/tdm/ana"),
         PathRule(("/@dan/",), ConsentRecord())],  # same as the instance: not listed
        policy_url="https://example.social/policies/tdm",
    )
    assert rules == [
        {"location": "/media/bob-id/", "tdm-reservation": 0},
        {"location": "/@ana/", "tdm-reservation": 1, "tdm-policy": "https://example.social/policies/tdm/ana"},
        {"location": "/@bob/", "tdm-reservation": 0},
        {"location": "/", "tdm-reservation": 1, "tdm-policy": "https://example.social/policies/tdm"},
    ]
    lengths = [len(r["location"]) for r in rules]
    assert lengths == sorted(lengths, reverse=True)


def test_tdmrep_json_is_an_array_even_for_one_rule() -> None:
    text = tdmrep_json(OPEN)
    assert text.lstrip().startswith("[") and json.loads(text) == [{"location": "/", "tdm-reservation": 0}]


# --- ai.txt ----------------------------------------------------------------------------------------------------------


def test_ai_txt_refusing_instance() -> None:
    text = ai_txt(ConsentRecord(), [(["/@bob/"], BOB)], extensions=("jpg", "png", "webp"))
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert body == ["User-Agent: *", "Allow: /@bob/", "Disallow: *.jpg", "Disallow: *.png", "Disallow: *.webp",
                    "Disallow: /", "Disallow: *"]


def test_ai_txt_allowing_instance() -> None:
    body = [line for line in ai_txt(OPEN, [(["/@ana/"], ConsentRecord())]).splitlines()
            if line and not line.startswith("#")]
    assert body == ["User-Agent: *", "Disallow: /@ana/", "Allow: /"]


def test_ai_txt_default_lists_image_types() -> None:
    text = ai_txt(ConsentRecord())
    for ext in ("jpg", "jpeg", "png", "webp", "gif", "avif"):
        assert f"Disallow: *.{ext}\n" in text


# --- TDM policy (ODRL) -----------------------------------------------------------------------------------------------


def test_tdm_policy_matches_the_doc_example() -> None:
    policy = tdm_policy(ANA, uid="https://example.social/policies/tdm/ana", assigner="https://example.social/@ana",
                        assigner_name="Ana Artist", email="ana@example.org",
                        licensing_url="https://example.social/@ana/licensing")
    assert policy == {
        "@context": ["http://www.w3.org/ns/odrl.jsonld", "http://www.w3.org/ns/tdmrep.jsonld"],
        "@type": "Offer",
        "profile": "http://www.w3.org/ns/tdmrep",
        "uid": "https://example.social/policies/tdm/ana",
        "assigner": {"uid": "https://example.social/@ana", "vcard:fn": "Ana Artist",
                     "vcard:hasEmail": "mailto:ana@example.org",
                     "vcard:hasURL": "https://example.social/@ana/licensing"},
        "permission": [{"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}],
    }
    json.dumps(policy)


def test_tdm_policy_open_and_validation() -> None:
    assert tdm_policy(OPEN, uid="https://example.social/policies/tdm")["permission"] == [{"action": "tdm:mine"}]
    assert "assigner" not in tdm_policy(OPEN, uid="https://example.social/policies/tdm")
    with pytest.raises(Invalid, match="email"):
        tdm_policy(ANA, uid=POLICY, assigner="https://example.social/@ana", email="ana <x@y>")
