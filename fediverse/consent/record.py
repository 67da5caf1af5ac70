"""The consent record: one value per actor / work, and the projections every emitter is built from.

The instance default comes from instance.toml, an artist may override any field in the studio, a work may
override any field again. ``effective(instance, artist, work)`` folds the overrides; every emitter in this package
is a pure function of the resulting ``ConsentRecord`` (plus small context such as URLs).

How the fields translate into each vocabulary is fixed here, once (consent doc §15, "Where vocabularies
disagree"):

==========================  ======================  ===============  ==============  =====================
record                      X-Robots-Tag            Content-Usage    tdm-reservation PLUS DataMining
==========================  ======================  ===============  ==============  =====================
ai_training=no_generative   noai, noimageai         train-ai=n       1               …GENAIMLTRAINING
ai_training=none            noai, noimageai,        train-ai=n       1               …AIMLTRAINING
                            noarchive
+ tdm_reserved, no ai_input (noarchive)             train-ai=n       1               …EXCEPTSEARCHENGINE-
                                                                                     INDEXING / PROHIBITED
search=False                + noindex, noimageindex search=n         –               –
ai_training=allowed         (omitted)               train-ai=y       0 (unless       ALLOWED
                                                                     tdm_reserved)
==========================  ======================  ===============  ==============  =====================

A training refusal always reserves TDM rights too: under EU CDSM Art. 4 a ``tdm-reservation: 0`` would tell
miners they may mine, training included, which contradicts "no AI training".
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal, Mapping, get_args

from fediverse.consent import vocab
from fediverse.errors import Invalid

AiTraining = Literal["allowed", "no_generative", "none"]
AI_TRAINING_VALUES: tuple[str, ...] = get_args(AiTraining)
_TRAINING_RANK = {"allowed": 0, "no_generative": 1, "none": 2}

MAX_URL = 2048
MAX_TEXT = 500
_URL_RE = re.compile(r"^https?://[^/?#\s]+(?:[/?#][\x21-\x7e]*)?$", re.IGNORECASE)
_URL_FORBIDDEN = set('<>"\\^`{|}')


def check_url(value: Any, field: str) -> str:
    """An absolute http(s) URL that is safe in a header, an HTML attribute, XML and robots.txt; else Invalid."""
    if not isinstance(value, str):
        raise Invalid(f"{field}: expected a URL string, got {type(value).__name__}")
    url = value.strip()
    if len(url) > MAX_URL:
        raise Invalid(f"{field}: URL longer than {MAX_URL} characters")
    if not url.isascii():
        raise Invalid(f"{field}: URL must be ASCII (percent-encode it): {url[:80]!r}")
    if not _URL_RE.match(url) or _URL_FORBIDDEN.intersection(url) or any(not 0x21 <= ord(c) <= 0x7E for c in url):
        raise Invalid(f"{field}: not an absolute http(s) URL without spaces or <>\"{{}}|\\^`: {url[:80]!r}")
    return url


def check_text(value: Any, field: str, *, limit: int = MAX_TEXT) -> str:
    """One line of human text: no control characters (so no header or XML injection), at most ``limit`` chars."""
    if not isinstance(value, str):
        raise Invalid(f"{field}: expected text, got {type(value).__name__}")
    text = value.strip()
    if len(text) > limit:
        raise Invalid(f"{field}: longer than {limit} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029\ufffe\uffff" for ch in text):
        raise Invalid(f"{field}: control characters (line breaks, tabs, NUL …) are not allowed")
    return text


def check_source_type(value: Any, field: str = "digital_source_type") -> str:
    uri = vocab.normalise_source_type(value)
    if uri is None:
        raise Invalid(f"{field}: not an IPTC Digital Source Type code or URI: {str(value)[:80]!r}")
    return uri


def _check_training(value: Any, field: str = "ai_training") -> str:
    if value not in AI_TRAINING_VALUES:
        raise Invalid(f"{field}: must be one of {', '.join(AI_TRAINING_VALUES)}; got {value!r}")
    return str(value)


def _check_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{field}: expected true or false, got {value!r}")
    return value


@dataclass(frozen=True)
class ConsentRecord:
    """What the artist allows, for one actor or object. Defaults are the out-of-the-box instance default.

    ``ai_training``: "allowed" | "no_generative" | "none" (no AI training at all).
    ``tdm_reserved``: text-and-data-mining rights reserved (EU CDSM Art. 4 opt-out).
    ``ai_input``: may the content be used as input to AI systems (retrieval/RAG, grounding, inference)?
    ``search``: may search engines index it?
    ``licence_url``: a Creative Commons licence or an artist's licensing page; None = all rights reserved.
    ``attribution``: the credit line ("Ana Artist / example.social").
    ``show_licence_line``: append the visible licence line to federated content.
    ``digital_source_type``: IPTC Digital Source Type URI (codes are expanded); None = not declared (emitters
    write ``digitalCreation`` where a value is needed).
    """

    ai_training: AiTraining = "none"
    tdm_reserved: bool = True
    ai_input: bool = False
    search: bool = True
    licence_url: str | None = None
    attribution: str = ""
    show_licence_line: bool = True
    digital_source_type: str | None = None

    def __post_init__(self) -> None:
        _check_training(self.ai_training)
        for name in ("tdm_reserved", "ai_input", "search", "show_licence_line"):
            _check_bool(getattr(self, name), name)
        if self.licence_url is not None:
            object.__setattr__(self, "licence_url", check_url(self.licence_url, "licence_url"))
        object.__setattr__(self, "attribution", check_text(self.attribution, "attribution"))
        if self.digital_source_type is not None:
            object.__setattr__(self, "digital_source_type", check_source_type(self.digital_source_type))

    # --- construction from / to plain data (instance.toml section, DB JSON column, studio form)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base: ConsentRecord | None = None) -> ConsentRecord:
        """Build from a mapping of field names (unknown keys are an error). ``licence_url = ""`` means none."""
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise Invalid(f"unknown consent setting(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        if values.get("licence_url") == "":
            values["licence_url"] = None
        if values.get("digital_source_type") == "":
            values["digital_source_type"] = None
        return dataclasses.replace(base or cls(), **values)

    def to_mapping(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # --- projections shared by the emitters

    @property
    def restricts_training(self) -> bool:
        return self.ai_training != "allowed"

    @property
    def tdm_reservation(self) -> int:
        """The TDMRep value: 1 when mining is reserved or any AI training is refused, else 0."""
        return 1 if self.tdm_reserved or self.restricts_training else 0

    @property
    def refuses_ai_crawlers(self) -> bool:
        """Should AI crawlers (training and AI-input agents alike) stay out of this artist's paths?"""
        return self.restricts_training or not self.ai_input

    @property
    def robots_directives(self) -> tuple[str, ...]:
        """X-Robots-Tag / meta robots directives, in a fixed order. Never ``nocache`` (Bing reads it instead)."""
        directives: list[str] = []
        if self.restricts_training:
            directives += ["noai", "noimageai"]
        if self.ai_training == "none" or not self.ai_input:
            directives.append("noarchive")  # Bing, Amazon: not used for model training / chat answers
        if not self.search:
            directives += ["noindex", "noimageindex"]
        return tuple(directives)

    @property
    def content_usage(self) -> str:
        """The IETF AIPREF preference, exactly as the ``Content-Usage`` header carries it (writer labels only)."""
        return f"train-ai={'n' if self.restricts_training else 'y'}, search={'y' if self.search else 'n'}"

    @property
    def content_signal(self) -> str:
        """Cloudflare Content Signals, for robots.txt."""

        def yn(ok: bool) -> str:
            return "yes" if ok else "no"

        return f"search={yn(self.search)}, ai-input={yn(self.ai_input)}, ai-train={yn(not self.restricts_training)}"

    @property
    def data_mining(self) -> str:
        """The single PLUS ``DataMining`` URI that says the most, honestly."""
        if not self.restricts_training and not self.tdm_reserved and self.ai_input:
            return vocab.DMI_ALLOWED
        if self.restricts_training and self.tdm_reserved and not self.ai_input:
            return vocab.DMI_PROHIBITED_EXCEPTSEARCH if self.search else vocab.DMI_PROHIBITED
        if self.ai_training == "none":
            return vocab.DMI_PROHIBITED_AIMLTRAINING
        if self.ai_training == "no_generative":
            return vocab.DMI_PROHIBITED_GENAIMLTRAINING
        return vocab.DMI_PROHIBITED_SEECONSTRAINT  # training allowed, but mining reserved or no AI input

    @property
    def source_type(self) -> str:
        """The Digital Source Type to write: the declared one, else ``digitalCreation`` (human, digital tools)."""
        return self.digital_source_type or vocab.DST_DIGITAL_CREATION

    def allows_ai_training(self, *, generative: bool = True) -> bool:
        """May our own features train a model on this content? A TDM reservation forbids it too."""
        if self.tdm_reserved:
            return False
        if self.ai_training == "allowed":
            return True
        return self.ai_training == "no_generative" and not generative

    def allows_ai_input(self) -> bool:
        """May our own features send this content to an AI system (alt-text, translation, embeddings …)?"""
        return self.ai_input and not self.tdm_reserved

    def constraints_text(self) -> str:
        """Human-readable constraints (XMP ``plus:OtherConstraints``, ``xmpRights:UsageTerms``)."""
        parts = {
            "none": "No use for AI/ML training, generative or otherwise.",
            "no_generative": "No use for generative AI/ML training.",
            "allowed": "AI/ML training allowed.",
        }
        out = [parts[self.ai_training]]
        if self.tdm_reservation:
            out.append("Text and data mining rights reserved (Art. 4 EU Directive 2019/790).")
        if not self.ai_input:
            out.append("No use as input to AI systems (retrieval, grounding, inference).")
        if not self.search:
            out.append("No search engine indexing.")
        return " ".join(out)


@dataclass(frozen=True)
class ConsentOverride:
    """A partial record (studio per artist, per work). ``None`` = inherit; ``licence_url=""`` = no licence."""

    ai_training: AiTraining | None = None
    tdm_reserved: bool | None = None
    ai_input: bool | None = None
    search: bool | None = None
    licence_url: str | None = None
    attribution: str | None = None
    show_licence_line: bool | None = None
    digital_source_type: str | None = None

    def __post_init__(self) -> None:
        if self.ai_training is not None:
            _check_training(self.ai_training)
        for name in ("tdm_reserved", "ai_input", "search", "show_licence_line"):
            if getattr(self, name) is not None:
                _check_bool(getattr(self, name), name)
        if self.licence_url:
            object.__setattr__(self, "licence_url", check_url(self.licence_url, "licence_url"))
        if self.attribution is not None:
            object.__setattr__(self, "attribution", check_text(self.attribution, "attribution"))
        if self.digital_source_type is not None:
            object.__setattr__(self, "digital_source_type", check_source_type(self.digital_source_type))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> ConsentOverride:
        if not data:
            return cls()
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise Invalid(f"unknown consent setting(s): {', '.join(sorted(unknown))}")
        return cls(**dict(data))

    def to_mapping(self) -> dict[str, Any]:
        """Only the fields that are set (what a DB JSON column should store)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    def apply(self, record: ConsentRecord) -> ConsentRecord:
        changes = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        if changes.get("licence_url") == "":
            changes["licence_url"] = None
        return dataclasses.replace(record, **changes) if changes else record


def effective(
    instance: ConsentRecord,
    artist: ConsentOverride | Mapping[str, Any] | None = None,
    work: ConsentOverride | Mapping[str, Any] | None = None,
) -> ConsentRecord:
    """The effective record of any object: instance default, then the artist's override, then the work's.

    Overrides may be given as ``ConsentOverride`` or as the mapping ``ConsentOverride.to_mapping()`` produced.
    For an actor pass no ``work``; for the instance itself pass neither.
    """
    record = instance
    for layer in (artist, work):
        if layer is None:
            continue
        override = layer if isinstance(layer, ConsentOverride) else ConsentOverride.from_mapping(layer)
        record = override.apply(record)
    return record


def stricter_training(a: str | None, b: str | None) -> str | None:
    """The more restrictive of two training values (None = unknown, loses to anything)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if _TRAINING_RANK[a] >= _TRAINING_RANK[b] else b
