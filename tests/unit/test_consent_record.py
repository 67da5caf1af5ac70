"""The consent record: defaults, validation, overrides, and the vocabulary projections (consent doc §15)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from fediverse.consent import ConsentOverride, ConsentRecord, effective
from fediverse.consent import vocab
from fediverse.errors import Invalid

CC_BY_NC_ND = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
PLUS = "http://ns.useplus.org/ldf/vocab/"


def test_out_of_the_box_default_is_no_ai_training_mining_reserved_search_allowed() -> None:
    r = ConsentRecord()
    assert (r.ai_training, r.tdm_reserved, r.search) == ("none", True, True)
    assert r.ai_input is False and r.show_licence_line is True
    assert r.licence_url is None and r.attribution == "" and r.digital_source_type is None


def test_default_projections() -> None:
    r = ConsentRecord()
    assert r.robots_directives == ("noai", "noimageai", "noarchive")
    assert r.content_usage == "train-ai=n, search=y"
    assert r.content_signal == "search=yes, ai-input=no, ai-train=no"
    assert r.tdm_reservation == 1
    assert r.data_mining == PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
    assert r.source_type == "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"
    assert r.refuses_ai_crawlers


@pytest.mark.parametrize(
    ("fields", "directives", "usage", "tdm", "plus"),
    [
        # the doc §15 translation table, row by row
        ({"ai_training": "no_generative", "tdm_reserved": False, "ai_input": True},
         ("noai", "noimageai"), "train-ai=n, search=y", 1, "DMI-PROHIBITED-GENAIMLTRAINING"),
        ({"ai_training": "none", "tdm_reserved": False, "ai_input": True},
         ("noai", "noimageai", "noarchive"), "train-ai=n, search=y", 1, "DMI-PROHIBITED-AIMLTRAINING"),
        ({"ai_training": "none", "tdm_reserved": True, "ai_input": False, "search": False},
         ("noai", "noimageai", "noarchive", "noindex", "noimageindex"), "train-ai=n, search=n", 1, "DMI-PROHIBITED"),
        ({"ai_training": "allowed", "tdm_reserved": False, "ai_input": True},
         (), "train-ai=y, search=y", 0, "DMI-ALLOWED"),
        ({"ai_training": "allowed", "tdm_reserved": False, "ai_input": True, "search": False},
         ("noindex", "noimageindex"), "train-ai=y, search=n", 0, "DMI-ALLOWED"),
        ({"ai_training": "allowed", "tdm_reserved": True, "ai_input": True},
         (), "train-ai=y, search=y", 1, "DMI-PROHIBITED-SEECONSTRAINT"),
        ({"ai_training": "allowed", "tdm_reserved": False, "ai_input": False},
         ("noarchive",), "train-ai=y, search=y", 0, "DMI-PROHIBITED-SEECONSTRAINT"),
        ({"ai_training": "no_generative", "tdm_reserved": True, "ai_input": True},
         ("noai", "noimageai"), "train-ai=n, search=y", 1, "DMI-PROHIBITED-GENAIMLTRAINING"),
    ],
)
def test_translation_table(
    fields: dict,  # type: ignore[type-arg]
    directives: tuple,  # type: ignore[type-arg]
    usage: str,
    tdm: int,
    plus: str,
) -> None:
    r = ConsentRecord(**fields)
    assert r.robots_directives == directives
    assert "nocache" not in r.robots_directives  # Bing treats nocache+noarchive as nocache: never send it
    assert r.content_usage == usage
    assert r.tdm_reservation == tdm
    assert r.data_mining == PLUS + plus


def test_a_training_refusal_always_reserves_tdm() -> None:
    """tdm-reservation: 0 would let EU miners mine for training: contradicts "no AI training"."""
    assert ConsentRecord(ai_training="none", tdm_reserved=False).tdm_reservation == 1
    assert ConsentRecord(ai_training="no_generative", tdm_reserved=False).tdm_reservation == 1


def test_our_own_features_ask_the_record() -> None:
    assert not ConsentRecord().allows_ai_training()
    assert not ConsentRecord().allows_ai_input()
    open_ = ConsentRecord(ai_training="allowed", tdm_reserved=False, ai_input=True)
    assert open_.allows_ai_training() and open_.allows_ai_input()
    nogen = ConsentRecord(ai_training="no_generative", tdm_reserved=False)
    assert nogen.allows_ai_training(generative=False) and not nogen.allows_ai_training(generative=True)
    assert not ConsentRecord(ai_training="allowed", tdm_reserved=True, ai_input=True).allows_ai_training()


def test_effective_folds_instance_artist_work() -> None:
    instance = ConsentRecord(attribution="example.social")
    artist = ConsentOverride(ai_training="allowed", licence_url=CC_BY_NC_ND, attribution="Ana Artist")
    work = ConsentOverride(digital_source_type="trainedAlgorithmicMedia", search=False)
    r = effective(instance, artist, work)
    assert r.ai_training == "allowed" and r.tdm_reserved is True  # inherited
    assert r.licence_url == CC_BY_NC_ND and r.attribution == "Ana Artist" and r.search is False
    assert r.digital_source_type == vocab.DST_VOCAB + "trainedAlgorithmicMedia"
    assert effective(instance) == instance
    assert effective(instance, None, None) is instance


def test_override_none_inherits_empty_licence_clears() -> None:
    instance = ConsentRecord(licence_url=CC_BY_NC_ND)
    assert effective(instance, ConsentOverride()).licence_url == CC_BY_NC_ND
    assert effective(instance, ConsentOverride(licence_url="")).licence_url is None
    assert effective(instance, {"licence_url": ""}).licence_url is None


def test_overrides_as_mappings_round_trip() -> None:
    o = ConsentOverride(ai_training="no_generative", search=False)
    assert o.to_mapping() == {"ai_training": "no_generative", "search": False}
    assert ConsentOverride.from_mapping(o.to_mapping()) == o
    assert ConsentOverride.from_mapping(None) == ConsentOverride()
    assert effective(ConsentRecord(), o.to_mapping()) == effective(ConsentRecord(), o)


def test_record_from_mapping_like_instance_toml() -> None:
    r = ConsentRecord.from_mapping({"ai_training": "no_generative", "licence_url": "", "attribution": " Ana "})
    assert r.ai_training == "no_generative" and r.licence_url is None and r.attribution == "Ana"
    assert ConsentRecord.from_mapping(r.to_mapping()) == r
    with pytest.raises(Invalid, match="unknown consent setting.*colour"):
        ConsentRecord.from_mapping({"colour": "red"})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ai_training": "maybe"}, "ai_training: must be one of allowed, no_generative, none"),
        ({"ai_training": "None"}, "ai_training"),
        ({"search": "yes"}, "search: expected true or false"),
        ({"tdm_reserved": 1}, "tdm_reserved: expected true or false"),
        ({"licence_url": "ftp://example.org/licence"}, "licence_url: not an absolute http"),
        ({"licence_url": "https://example.org/a b"}, "licence_url"),
        ({"licence_url": "https://example.org/\r\nSet-Cookie: x=1"}, "licence_url"),
        ({"licence_url": 'https://example.org/"><script>'}, "licence_url"),
        ({"licence_url": "https://exämple.org/"}, "must be ASCII"),
        ({"licence_url": "/relative"}, "licence_url"),
        ({"licence_url": "https://example.org/" + "a" * 3000}, "longer than"),
        ({"attribution": "Ana\r\nX-Evil: 1"}, "attribution: control characters"),
        ({"attribution": "Ana\x00"}, "attribution: control characters"),
        ({"attribution": "Ana\ufffe"}, "attribution: control characters"),
        ({"licence_url": "https://exa\x01mple.org/"}, "licence_url"),
        ({"attribution": "A" * 501}, "attribution: longer than 500"),
        ({"attribution": 5}, "attribution: expected text"),
        ({"digital_source_type": "madeByHand"}, "digital_source_type: not an IPTC"),
    ],
)
def test_invalid_values_are_refused_with_the_field_named(fields: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(Invalid, match=message.replace("(", r"\(")):
        ConsentRecord(**fields)


def test_override_validates_too() -> None:
    with pytest.raises(Invalid, match="ai_training"):
        ConsentOverride(ai_training="sometimes")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="unknown consent setting"):
        ConsentOverride.from_mapping({"noai": True})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("digitalCreation", "digitalCreation"),
        ("DIGITALCREATION", "digitalCreation"),
        ("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", "trainedAlgorithmicMedia"),
        ("https://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic", "compositeSynthetic"),
        ("digitalArt", "digitalArt"),  # deprecated but read
    ],
)
def test_digital_source_type_is_normalised(given: str, expected: str) -> None:
    assert ConsentRecord(digital_source_type=given).digital_source_type == vocab.DST_VOCAB + expected


def test_record_is_frozen_and_hashable() -> None:
    r = ConsentRecord()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.search = False  # type: ignore[misc]
    assert len({r, ConsentRecord()}) == 1


def test_consent_package_is_pure() -> None:
    """No database, no HTTP client, no network, no file writes: imports are the standard library + errors
    (and defusedxml, the safe XML parser the XMP reader uses; io for its in-memory text stream; the shared
    structured-field parser in fediverse.wire, itself pure by the import-linter contract)."""
    allowed_roots = {"__future__", "base64", "binascii", "copy", "dataclasses", "decimal", "defusedxml", "functools",
                     "html", "importlib", "io", "json", "re", "string", "typing", "unicodedata", "urllib", "xml"}
    package = Path(__file__).resolve().parents[2] / "fediverse" / "consent"
    for path in package.rglob("*.py"):  # the inbound/ readers included
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                if name.startswith("fediverse."):
                    assert name.startswith(("fediverse.consent", "fediverse.errors", "fediverse.wire")), (path.name, name)
                else:
                    assert name.split(".")[0] in allowed_roots, (path.name, name)
        source = path.read_text(encoding="utf-8")
        assert "open(" not in source and "socket" not in source and "write_" not in source, path.name
