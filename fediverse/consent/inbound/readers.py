"""One reader per signal, shared by every source (HTTP headers, ActivityPub JSON, XMP): each notes what it
saw in a ``Collector``, and never raises on hostile input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from fediverse.consent import vocab
from fediverse.consent.inbound.signals import MAX_HEADER, MAX_LIST, OUR_TOKENS, Collector
from fediverse.consent.record import check_url
from fediverse.errors import Invalid
from fediverse.wire.structured_fields import FieldError, Token, parse_dictionary


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


def read_x_robots(c: Collector, values: list[str], signal: str, tokens: Iterable[str]) -> None:
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


def read_content_usage(c: Collector, values: list[str], signal: str) -> None:
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


def read_tdm_reservation(c: Collector, values: list[Any], signal: str) -> None:
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


def url_or_none(value: Any) -> str | None:
    try:
        return check_url(value, "url")
    except Invalid:
        return None


def read_url(c: Collector, value: Any, signal: str, field_name: str) -> None:
    url = url_or_none(value)
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



# --- values as JSON-LD and XMP give them ----------------------------------------------------------------------


def unwrap(value: Any) -> Any:
    """JSON-LD value objects and single-element arrays to a plain scalar / dict."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    return value


def as_id(value: Any) -> Any:
    value = unwrap(value)
    if isinstance(value, dict):
        return value.get("@id") or value.get("id") or value.get("href") or value.get("url")
    return value


def truthy(value: Any) -> bool | None:
    value = unwrap(value)
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


def read_data_mining(c: Collector, value: Any, signal: str) -> None:
    value = as_id(value)
    meaning = data_mining_meaning(value) if isinstance(value, str) else None
    if meaning is None:
        c.note(signal, value, "unparseable: not a PLUS Data Mining value")
    elif meaning:
        c.set(signal, value, **meaning)
    else:
        c.note(signal, value, "ignored: unspecified")


def read_dst(c: Collector, value: Any, signal: str) -> None:
    uri = vocab.normalise_source_type(as_id(value))
    if uri:
        c.set(signal, value, digital_source_type=uri)
    else:
        c.note(signal, value, "ignored: not an IPTC Digital Source Type")


def short_text(value: Any, limit: int = 500) -> str | None:
    value = unwrap(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        return text[:limit] if text else None
    return None
