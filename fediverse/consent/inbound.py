"""Honouring inbound signals (consent doc §16): read consent off remote AP JSON, HTTP headers and XMP.

Each reader returns ``InboundSignals``: tri-state fields (None = the source said nothing) plus a provenance list
saying which signal produced what, including what was unparseable or ignored and why. ``combine`` merges any
number of them with AIPREF's rule: any "disallow" wins, then any "allow", else unknown. ``to_record`` fills the
unknowns from a default record (the instance policy) to give a ``ConsentRecord`` for re-emission.

Readers never raise on hostile input: wrong types, malformed structured fields, duplicated or oddly cased
headers, huge or entity-laden XMP all end up as provenance entries.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from fediverse.consent import vocab
from fediverse.consent.record import AI_TRAINING_VALUES, ConsentRecord, check_url, stricter_training
from fediverse.wire.structured_fields import FieldError, Token, parse_dictionary
from fediverse.consent.xmp import MAX_XMP_BYTES, read_xmp
from fediverse.errors import Invalid

OUR_TOKENS: tuple[str, ...] = ("fediverse",)  # the product token in our fetcher's User-Agent
MAX_RAW = 200  # raw values are kept in provenance up to this length
MAX_HEADER = 16 * 1024
MAX_LIST = 64
ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Organization", "Application"})


@dataclass(frozen=True)
class Provenance:
    """One signal seen: where (``source``), which (``signal``), the raw value, and what we took it to mean.

    ``meaning`` is ``"field=value"`` pairs, or starts with ``"unparseable:"``, ``"refused:"`` or ``"ignored:"``.
    """

    source: str  # "activitypub" | "http" | "xmp"
    signal: str
    value: str
    meaning: str

    @property
    def is_problem(self) -> bool:
        return self.meaning.startswith(("unparseable:", "refused:"))


@dataclass(frozen=True)
class InboundSignals:
    ai_training: str | None = None
    tdm_reserved: bool | None = None
    ai_input: bool | None = None
    search: bool | None = None
    licence_url: str | None = None
    licence_text: str | None = None
    attribution: str | None = None
    creator: str | None = None
    tdm_policy: str | None = None
    digital_source_type: str | None = None
    provenance: tuple[Provenance, ...] = ()

    @property
    def problems(self) -> tuple[Provenance, ...]:
        """Signals that were present but could not be read (malformed, refused, too large)."""
        return tuple(p for p in self.provenance if p.is_problem)

    @property
    def unparseable(self) -> bool:
        return bool(self.problems)

    @property
    def known(self) -> bool:
        """Did any source state a consent preference at all?"""
        return any(v is not None for v in (self.ai_training, self.tdm_reserved, self.ai_input, self.search))

    def combine(self, *others: InboundSignals) -> InboundSignals:
        return combine(self, *others)

    def to_record(self, default: ConsentRecord) -> ConsentRecord:
        """A full record: what the sources said, the default for everything they did not say."""
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("ai_training", "tdm_reserved", "ai_input", "search", "digital_source_type")
            if getattr(self, name) is not None
        }
        if self.licence_url:
            changes["licence_url"] = self.licence_url
        attribution = self.attribution or self.creator
        if attribution:
            changes["attribution"] = " ".join(attribution.split())[:500]
        return dataclasses.replace(default, **changes)


def combine(*signals: InboundSignals) -> InboundSignals:
    """Merge readings: any disallow wins, then any allow, else unknown; other fields: first one given."""
    out = InboundSignals()
    for s in signals:
        dst = out.digital_source_type
        if s.digital_source_type and (dst is None or (vocab.is_ai_source_type(s.digital_source_type)
                                                      and not vocab.is_ai_source_type(dst))):
            dst = s.digital_source_type
        out = InboundSignals(
            ai_training=stricter_training(out.ai_training, s.ai_training),
            tdm_reserved=_any_true(out.tdm_reserved, s.tdm_reserved),
            ai_input=_any_false(out.ai_input, s.ai_input),
            search=_any_false(out.search, s.search),
            licence_url=out.licence_url or s.licence_url,
            licence_text=out.licence_text or s.licence_text,
            attribution=out.attribution or s.attribution,
            creator=out.creator or s.creator,
            tdm_policy=out.tdm_policy or s.tdm_policy,
            digital_source_type=dst,
            provenance=out.provenance + s.provenance,
        )
    return out


def _any_true(a: bool | None, b: bool | None) -> bool | None:
    return True if True in (a, b) else (False if False in (a, b) else None)


def _any_false(a: bool | None, b: bool | None) -> bool | None:
    return False if False in (a, b) else (True if True in (a, b) else None)


class _Collector:
    """Accumulates findings from one source, most restrictive first-come."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.values: dict[str, Any] = {}
        self.provenance: list[Provenance] = []

    def note(self, signal: str, raw: Any, meaning: str) -> None:
        text = raw if isinstance(raw, str) else repr(raw)
        self.provenance.append(Provenance(self.source, signal, text[:MAX_RAW], meaning))

    def set(self, signal: str, raw: Any, **fields: Any) -> None:
        for name, value in fields.items():
            old = self.values.get(name)
            if name == "ai_training":
                value = stricter_training(old, value)
            elif name == "tdm_reserved":
                value = _any_true(old, value)
            elif name in ("ai_input", "search"):
                value = _any_false(old, value)
            elif old is not None:
                value = old
            self.values[name] = value
        self.note(signal, raw, ", ".join(f"{k}={v}" for k, v in fields.items()))

    def result(self) -> InboundSignals:
        return InboundSignals(**self.values, provenance=tuple(self.provenance))


# --- X-Robots-Tag ------------------------------------------------------------------------------------------------

# Directives whose own syntax contains a colon, so "name: value" is not a user-agent prefix.
_VALUED = frozenset({"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"})
_UA_PREFIX = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-/ ]{0,99}?)\s*:\s*(.*)$")
_DIRECTIVE_MEANING: dict[str, dict[str, Any]] = {
    "noai": {"ai_training": "none"},
    "noimageai": {"ai_training": "none"},
    "noml": {"ai_training": "none"},
    # Bing: not used to train generative foundation models nor in chat answers; Amazon: not used for training.
    "noarchive": {"ai_training": "none", "ai_input": False},
    "nocache": {"ai_input": False},
    "noindex": {"search": False},
    "noimageindex": {"search": False},
    "none": {"search": False},
}


def x_robots_directives(
    values: Iterable[str] | str, *, user_agent_tokens: Iterable[str] = OUR_TOKENS
) -> tuple[set[str], list[tuple[str, str]]]:
    """Directives that apply to us, from every ``X-Robots-Tag`` line (or meta robots content).

    A line may start with ``<ua>:``; from there on its directives apply only to that user agent (Google's
    syntax, also img2dataset's). Unprefixed directives apply to everyone. Names are lower-cased.
    Returns (directives for us, [(ua, directive) scoped to someone else]).
    """
    ours = {t.lower() for t in user_agent_tokens}
    lines = [values] if isinstance(values, str) else list(values)
    mine: set[str] = set()
    others: list[tuple[str, str]] = []
    for line in lines[:MAX_LIST]:
        scope: str | None = None
        for raw_item in line[:MAX_HEADER].split(","):
            item = raw_item.strip()
            if not item:
                continue
            m = _UA_PREFIX.match(item)
            if m and m.group(1).strip().lower() not in _VALUED:
                scope = m.group(1).strip().lower()
                item = m.group(2).strip()
                if not item:
                    continue
            name = item.split(":", 1)[0].strip().lower()
            if not name:
                continue
            if scope is None or scope in ours:
                mine.add(name)
            else:
                others.append((scope, name))
    return mine, others


def _read_x_robots(c: _Collector, values: list[str], signal: str, tokens: Iterable[str]) -> None:
    mine, others = x_robots_directives(values, user_agent_tokens=tokens)
    raw = " | ".join(values)
    for name in sorted(mine):
        if name in _DIRECTIVE_MEANING:
            c.set(signal, raw, **_DIRECTIVE_MEANING[name])
    for ua, name in others:
        if name in _DIRECTIVE_MEANING:
            c.note(signal, f"{ua}: {name}", f"ignored: scoped to user agent {ua!r}, not to us")


# --- Content-Usage (IETF AIPREF) ----------------------------------------------------------------------------------

# Current labels (vocab-05+) plus older drafts and third-party labels, read leniently (consent doc §3).
_USAGE_LABELS: dict[str, dict[bool, dict[str, Any]]] = {
    "train-ai": {False: {"ai_training": "none"}, True: {"ai_training": "allowed"}},
    "ai": {False: {"ai_training": "none"}, True: {"ai_training": "allowed"}},
    "train-genai": {False: {"ai_training": "no_generative"}, True: {}},
    "genai": {False: {"ai_training": "no_generative"}, True: {}},
    "ai-train": {False: {"ai_training": "none"}, True: {"ai_training": "allowed"}},
    "search": {False: {"search": False}, True: {"search": True}},
    "tdm": {False: {"tdm_reserved": True}, True: {"tdm_reserved": False}},
    "inference": {False: {"ai_input": False}, True: {"ai_input": True}},
    "ai-input": {False: {"ai_input": False}, True: {"ai_input": True}},
    "ai-use": {False: {"ai_input": False}, True: {"ai_input": True}},
    "ai-output": {False: {"ai_input": False}, True: {}},
    "bots": {False: {"tdm_reserved": True, "ai_training": "none", "ai_input": False}, True: {}},
    "all": {False: {"tdm_reserved": True, "ai_training": "none", "ai_input": False, "search": False}, True: {}},
}


@dataclass(frozen=True)
class ContentUsage:
    """A parsed ``Content-Usage`` field: ``status`` "ok" | "absent" | "unparseable"; ``preferences`` label → y/n.

    Values other than the tokens ``y``/``n`` are left out (AIPREF: unknown). ``error`` says why a field failed.
    """

    status: str
    preferences: Mapping[str, bool]
    error: str = ""


def parse_content_usage(values: Iterable[str] | str | None) -> ContentUsage:
    """Parse ``Content-Usage`` (one or more header lines, or our ``contentUsage`` JSON string). Never raises."""
    lines = [values] if isinstance(values, str) else [v for v in (values or []) if isinstance(v, str)]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return ContentUsage("absent", {})
    try:
        members = parse_dictionary(lines, name="Content-Usage")
    except FieldError as exc:
        return ContentUsage("unparseable", {}, str(exc))
    prefs: dict[str, bool] = {}
    for key, (value, _params) in members.items():
        if isinstance(value, Token) and value in ("y", "n"):  # AIPREF reads only the tokens y/n (not "n")
            prefs[key] = value == "y"
    return ContentUsage("ok", prefs)


def _read_content_usage(c: _Collector, values: list[str], signal: str) -> None:
    parsed = parse_content_usage(values)
    raw = ", ".join(values)
    if parsed.status == "unparseable":
        c.note(signal, raw, f"unparseable: not an RFC 9651 dictionary ({parsed.error}); preferences unknown")
        return
    applied = False
    for label, allowed in parsed.preferences.items():
        fields = _USAGE_LABELS.get(label, {}).get(allowed)
        if fields:
            c.set(signal, f"{label}={'y' if allowed else 'n'}", **fields)
            applied = True
    if not applied and parsed.status == "ok":
        c.note(signal, raw, "ignored: no known label with a y/n token")


# --- tdm-reservation / tdm-policy / Link --------------------------------------------------------------------------


def _read_tdm_reservation(c: _Collector, values: list[Any], signal: str) -> None:
    for value in values:
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if value is True:
            text = "1"
        if text == "1":
            c.set(signal, value, tdm_reserved=True)
        elif text == "0":
            c.set(signal, value, tdm_reserved=False)
        else:
            c.note(signal, value, "unparseable: tdm-reservation must be 1 or 0 (protocol error, counts as unset)")


def _url_or_none(value: Any) -> str | None:
    try:
        return check_url(value, "url")
    except Invalid:
        return None


def _read_url(c: _Collector, value: Any, signal: str, field_name: str) -> None:
    url = _url_or_none(value)
    if url:
        c.set(signal, value, **{field_name: url})
    else:
        c.note(signal, value, "ignored: not an absolute http(s) URL")


_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL = re.compile(r"""(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def licence_links(values: Iterable[str]) -> list[str]:
    """Targets of ``Link`` header values whose ``rel`` includes ``license`` (RFC 8288)."""
    found = []
    for value in values:
        for m in _LINK.finditer(value[:MAX_HEADER]):
            for rel in _REL.finditer(m.group(2)):
                rels = (rel.group(1) or rel.group(2) or "").lower().split()
                if "license" in rels:
                    found.append(m.group(1).strip())
    return found


# --- HTTP response headers ----------------------------------------------------------------------------------------


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if hasattr(headers, "multi_items"):
        items = list(headers.multi_items())
    elif isinstance(headers, Mapping):
        items = list(headers.items())
    else:
        items = list(headers)
    out = []
    for pair in items[:1000]:
        try:
            name, value = pair
        except (TypeError, ValueError):
            continue
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(name, str) and isinstance(value, str):
            out.append((name.strip().lower(), value))
    return out


_READ_HEADERS = frozenset({"x-robots-tag", "tdm-reservation", "tdm-policy", "content-usage", "link"})


def signals_from_headers(headers: Any, *, user_agent_tokens: Iterable[str] = OUR_TOKENS) -> InboundSignals:
    """Read a remote response's headers: X-Robots-Tag (every line), tdm-reservation/-policy, Content-Usage, Link.

    ``headers``: httpx/Starlette headers (``multi_items()``), a mapping, or ``[(name, value), …]`` (str or
    bytes). Header names are case-insensitive; pass every line of repeated headers (a plain dict keeps one).
    """
    c = _Collector("http")
    by_name: dict[str, list[str]] = {}
    for name, value in _header_items(headers):
        if name not in _READ_HEADERS:
            continue
        if len(value) > MAX_HEADER:
            c.note(name, value, f"refused: longer than {MAX_HEADER} characters; not read")
            continue
        by_name.setdefault(name, []).append(value)
    if "x-robots-tag" in by_name:
        _read_x_robots(c, by_name["x-robots-tag"], vocab.X_ROBOTS_TAG, user_agent_tokens)
    if "tdm-reservation" in by_name:
        _read_tdm_reservation(c, by_name["tdm-reservation"], vocab.TDM_RESERVATION)
    for value in by_name.get("tdm-policy", [])[:1]:
        _read_url(c, value.strip(), vocab.TDM_POLICY, "tdm_policy")
    if "content-usage" in by_name:
        _read_content_usage(c, by_name["content-usage"], vocab.CONTENT_USAGE)
    for url in licence_links(by_name.get("link", []))[:1]:
        _read_url(c, url, vocab.LINK, "licence_url")
    return c.result()


# --- ActivityPub JSON ---------------------------------------------------------------------------------------------


def _aliases(compact: str, *iris: str) -> tuple[str, ...]:
    return (compact, *iris)


_SCHEMA_KEYS = [ns + "license" for ns in (vocab.SCHEMA_NS, *vocab.SCHEMA_NS_ALT)]
_KEYS = {
    "contentUsage": _aliases("contentUsage", vocab.CONSENT_NS + "contentUsage", "consent:contentUsage"),
    "aiTraining": _aliases("aiTraining", vocab.CONSENT_NS + "aiTraining", "consent:aiTraining"),
    "aiInput": _aliases("aiInput", vocab.CONSENT_NS + "aiInput", "consent:aiInput"),
    "tdmReservation": _aliases("tdmReservation", "tdm:reservation", vocab.TDMREP_NS + "reservation"),
    "tdmPolicy": _aliases("tdmPolicy", "tdm:policy", vocab.TDMREP_NS + "policy"),
    "dataMining": _aliases("dataMining", "plus:DataMining", vocab.PLUS_DATA_MINING),
    "xRobotsTag": _aliases("xRobotsTag", vocab.FEP_5E53_NS + "xRobotsTag"),
    "otherSetting": _aliases("otherSetting", "fedibird:otherSetting", vocab.FEDIBIRD_NS + "otherSetting"),
    "indexable": _aliases("indexable", "toot:indexable", vocab.TOOT_NS + "indexable"),
    "searchableBy": _aliases("searchableBy", "fedibird:searchableBy", vocab.FEDIBIRD_NS + "searchableBy"),
    "license": _aliases("license", "licence", "schema:license", "sc:license", *_SCHEMA_KEYS),
    "misskeyLicense": _aliases("_misskey_license", "misskey:_misskey_license", vocab.MISSKEY_NS + "_misskey_license"),
    "creditText": _aliases("creditText", "schema:creditText", *[ns + "creditText" for ns in
                                                                (vocab.SCHEMA_NS, *vocab.SCHEMA_NS_ALT)]),
    "digitalSourceType": _aliases("digitalSourceType", vocab.IPTC_DIGITAL_SOURCE_TYPE),
}
_PUBLIC = {vocab.AS_PUBLIC, "as:Public", "Public"}


def _get(doc: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
    for key in _KEYS[name]:
        if key in doc:
            value = doc[key]
            if value is None or value == [] or value == "":
                return None  # JSON-LD: empty array / null = absent
            return key, value
    return None


def _unwrap(value: Any) -> Any:
    """JSON-LD value objects and single-element arrays to a plain scalar / dict."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    return value


def _as_id(value: Any) -> Any:
    value = _unwrap(value)
    if isinstance(value, dict):
        return value.get("@id") or value.get("id") or value.get("href") or value.get("url")
    return value


def _truthy(value: Any) -> bool | None:
    value = _unwrap(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


_DMI_MEANING: dict[str, dict[str, Any]] = {
    "DMI-ALLOWED": {"ai_training": "allowed", "tdm_reserved": False, "ai_input": True},
    "DMI-PROHIBITED-AIMLTRAINING": {"ai_training": "none"},
    "DMI-PROHIBITED-GENAIMLTRAINING": {"ai_training": "no_generative"},
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": {"ai_training": "none", "tdm_reserved": True, "ai_input": False,
                                                  "search": True},
    "DMI-PROHIBITED": {"ai_training": "none", "tdm_reserved": True, "ai_input": False, "search": False},
    # "see …" values: the constraint itself cannot be read, the prohibition can.
    "DMI-PROHIBITED-SEECONSTRAINT": {"ai_training": "none", "tdm_reserved": True, "ai_input": False},
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": {"ai_training": "none", "tdm_reserved": True, "ai_input": False},
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": {"ai_training": "none", "tdm_reserved": True, "ai_input": False},
    # 2023 public-draft values, never adopted but present in old files.
    "DMI-ALLOWED-NOAITRAINING": {"ai_training": "none"},
    "DMI-ALLOWED-NOAIGENTRAINING": {"ai_training": "no_generative"},
    "DMI-SEE-CONSTRAINT": {"ai_training": "none", "tdm_reserved": True, "ai_input": False},
    "DMI-UNSPECIFIED": {},
}


def data_mining_meaning(value: str) -> dict[str, Any] | None:
    """What a PLUS ``DataMining`` value (full URI, https variant or bare key, any case) means; None if unknown."""
    v = value.strip()
    if v.lower().startswith(("http://", "https://")):
        tail = v.split("://", 1)[1]
        if not tail.lower().startswith("ns.useplus.org/ldf/vocab/"):
            return None
        v = tail[len("ns.useplus.org/ldf/vocab/"):]
    return _DMI_MEANING.get(v.upper().rstrip("/"))


def _read_data_mining(c: _Collector, value: Any, signal: str) -> None:
    value = _as_id(value)
    meaning = data_mining_meaning(value) if isinstance(value, str) else None
    if meaning is None:
        c.note(signal, value, "unparseable: not a PLUS Data Mining value")
    elif meaning:
        c.set(signal, value, **meaning)
    else:
        c.note(signal, value, "ignored: unspecified")


def _read_dst(c: _Collector, value: Any, signal: str) -> None:
    uri = vocab.normalise_source_type(_as_id(value))
    if uri:
        c.set(signal, value, digital_source_type=uri)
    else:
        c.note(signal, value, "ignored: not an IPTC Digital Source Type")


def _short_text(value: Any, limit: int = 500) -> str | None:
    value = _unwrap(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        return text[:limit] if text else None
    return None


def signals_from_activitypub(doc: Any, *, is_actor: bool | None = None) -> InboundSignals:
    """Read a remote actor or object (one JSON document, compacted with the sender's context).

    Reads our terms, FEP-5e53 ``xRobotsTag``, kmyblue ``otherSetting`` ``noai``/``noindex``, ``indexable``
    (an actor without it is not searchable, FEP-5feb), ``searchableBy`` (FEP-268d), ``license``/``licence``
    (string, ``{"@id"}`` or PeerTube's ``{identifier, name}``; ``http://schema.org#`` and ``https://schema.org/``
    keys), ``_misskey_license``, ``creditText``, ``digitalSourceType``. Attachments are separate documents:
    read each and ``combine`` it with its object's signals.
    """
    c = _Collector("activitypub")
    if not isinstance(doc, Mapping):
        c.note("document", type(doc).__name__, "unparseable: not a JSON object")
        return c.result()
    if is_actor is None:
        types = doc.get("type")
        types = types if isinstance(types, list) else [types]
        is_actor = any(t in ACTOR_TYPES for t in types if isinstance(t, str))

    if found := _get(doc, "contentUsage"):
        key, value = found
        value = _unwrap(value)
        if isinstance(value, str):
            _read_content_usage(c, [value], key)
        else:
            c.note(key, value, "unparseable: contentUsage must be a string")
    if found := _get(doc, "aiTraining"):
        key, value = found
        value = _unwrap(value)
        if value in AI_TRAINING_VALUES:
            c.set(key, value, ai_training=value)
        else:
            c.note(key, value, f"unparseable: aiTraining must be one of {', '.join(AI_TRAINING_VALUES)}")
    if found := _get(doc, "aiInput"):
        key, value = found
        flag = _truthy(value)
        if flag is None:
            c.note(key, value, "unparseable: aiInput must be a boolean")
        else:
            c.set(key, value, ai_input=flag)
    if found := _get(doc, "tdmReservation"):
        key, value = found
        _read_tdm_reservation(c, [_unwrap(value)], key)
    if found := _get(doc, "tdmPolicy"):
        _read_url(c, _as_id(found[1]), found[0], "tdm_policy")
    if found := _get(doc, "dataMining"):
        _read_data_mining(c, found[1], found[0])
    if found := _get(doc, "xRobotsTag"):
        key, value = found
        values = value if isinstance(value, list) else [value]
        strings = [v for v in values[:MAX_LIST] if isinstance(v, str)]
        if strings:
            _read_x_robots(c, strings, key, OUR_TOKENS)
        else:
            c.note(key, value, "unparseable: xRobotsTag must be a string")
    if found := _get(doc, "otherSetting"):
        key, value = found
        for entry in (value if isinstance(value, list) else [value])[:MAX_LIST]:
            if not isinstance(entry, Mapping):
                continue
            name, flag = entry.get("name"), _truthy(entry.get("value"))
            if name == "noai" and flag:
                c.set(f"{key} noai", True, ai_training="none")
            elif name == "noindex" and flag:
                c.set(f"{key} noindex", True, search=False)
    if found := _get(doc, "indexable"):
        key, value = found
        flag = _truthy(value)
        if flag is None:
            c.note(key, value, "unparseable: indexable must be a boolean")
        else:
            c.set(key, value, search=flag)
    elif is_actor:
        c.set("indexable", "(absent)", search=False)  # FEP-5feb: a missing indexable SHOULD be treated as false
    if found := _get(doc, "searchableBy"):
        key, value = found
        audience = [_as_id(v) for v in (value if isinstance(value, list) else [value])[:MAX_LIST]]
        c.set(key, audience, search=any(a in _PUBLIC for a in audience))
    if found := _get(doc, "license"):
        key, value = found
        value = _unwrap(value)
        if isinstance(value, Mapping) and ("identifier" in value or "name" in value) and not _as_id(value):
            if text := _short_text(value.get("name")):  # PeerTube {identifier, name}
                c.set(key, value, licence_text=text)
        elif url := _url_or_none(_as_id(value)):
            c.set(key, value, licence_url=url)
        elif text := _short_text(value):
            c.set(key, value, licence_text=text)
    if found := _get(doc, "misskeyLicense"):
        key, value = found
        value = _unwrap(value)
        if isinstance(value, Mapping) and (text := _short_text(value.get("freeText"))):
            c.set(key, text, licence_text=text)
    if found := _get(doc, "creditText"):
        if text := _short_text(found[1]):
            c.set(found[0], text, attribution=text)
    if found := _get(doc, "digitalSourceType"):
        _read_dst(c, found[1], found[0])
    return c.result()


# --- XMP in remote media -----------------------------------------------------------------------------------------


def signals_from_xmp(data: bytes | str | None, *, max_bytes: int = MAX_XMP_BYTES) -> InboundSignals:
    """Read the XMP packet of a remote file (Pillow's ``im.info["xmp"]``). Capped, DTD-free, never raises."""
    c = _Collector("xmp")
    reading = read_xmp(data, max_bytes=max_bytes)
    if reading.status == "empty":
        return c.result()
    if reading.status == "too_large":
        c.note("XMP", f"{len(data or b'')} bytes", f"refused: {reading.detail}")
        return c.result()
    if reading.status == "refused":
        c.note("XMP", (data[:MAX_RAW] if isinstance(data, str) else (data or b"")[:MAX_RAW].decode("latin-1")),
               f"refused: {reading.detail}")
        return c.result()
    if reading.status == "unparseable":
        c.note("XMP", "", f"unparseable: {reading.detail}")
        return c.result()
    props = reading.properties
    for value in props.get("plus:DataMining", ())[:1]:
        _read_data_mining(c, value, "plus:DataMining")
    for value in props.get("tdm:reservation", ())[:1]:
        _read_tdm_reservation(c, [value], "tdm:reservation")
    for value in props.get("tdm:policy", ())[:1]:
        _read_url(c, value, "tdm:policy", "tdm_policy")
    for value in props.get("Iptc4xmpExt:DigitalSourceType", ())[:1]:
        _read_dst(c, value, "Iptc4xmpExt:DigitalSourceType")
    for key in ("cc:license", "xmpRights:WebStatement"):
        for value in props.get(key, ())[:1]:
            _read_url(c, value, key, "licence_url")
    for key in ("photoshop:Credit", "cc:attributionName", "dc:rights"):
        for value in props.get(key, ())[:1]:
            if text := _short_text(value):
                c.set(key, text, attribution=text)
    for value in props.get("dc:creator", ())[:1]:
        if text := _short_text(value):
            c.set("dc:creator", text, creator=text)
    for key in ("plus:OtherConstraints", "xmpRights:UsageTerms", "xmpRights:Marked"):
        for value in props.get(key, ())[:1]:
            c.note(key, value, "ignored: human-readable terms, kept for reference")
    return c.result()
