"""Licence names and the visible licence line appended to federated content (consent doc §6, §15).

The visible line is the only consent signal that survives every peer: Mastodon keeps links and paragraphs.
"""

from __future__ import annotations

import re
from html import escape

from fediverse.consent import vocab
from fediverse.consent.record import ConsentRecord, check_text, check_url

_CC_LICENCE = re.compile(
    r"^https?://(?:www\.)?creativecommons\.org/licenses/"
    r"(by|by-sa|by-nd|by-nc|by-nc-sa|by-nc-nd)/(\d\.\d)(?:/[a-z]{2}(?:[-_][a-z]+)?)?/?(?:deed\.[A-Za-z_-]+)?$",
    re.IGNORECASE,
)
_CC_ZERO = re.compile(r"^https?://(?:www\.)?creativecommons\.org/publicdomain/zero/(\d\.\d)/?", re.IGNORECASE)
_CC_MARK = re.compile(r"^https?://(?:www\.)?creativecommons\.org/publicdomain/mark/(\d\.\d)/?", re.IGNORECASE)
_IN_COPYRIGHT = re.compile(r"^https?://rightsstatements\.org/(?:vocab|page)/InC/\d\.\d/?", re.IGNORECASE)
ALL_RIGHTS_RESERVED = "All rights reserved"

TRAINING_PHRASES = {
    "none": "No AI training",
    "no_generative": "No generative AI training",
    "allowed": "AI training allowed",
}


def rights_url(record: ConsentRecord, licence: str | None = None) -> str:
    """The rights IRI of this record: ``licence`` (an override such as a licensing page), else the chosen licence,
    else "In Copyright". "All rights reserved" is a statement, not an absence: every emitter (JSON-LD ``license``,
    ``Link rel=license``, ``<link rel=license>``, XMP, the visible line) states it through this one function."""
    if licence:
        return check_url(licence, "licence")
    return record.licence_url or vocab.IN_COPYRIGHT


def is_in_copyright(url: str | None) -> bool:
    """Is this the RightsStatements.org "In Copyright" statement (all rights reserved)?"""
    return bool(url) and bool(_IN_COPYRIGHT.match(url.strip()))  # type: ignore[union-attr]


def licence_name(url: str | None) -> str | None:
    """Short name of a Creative Commons licence or tool ("CC BY-NC-ND 4.0", "CC0 1.0") or "All rights reserved"
    for the In Copyright statement, else None."""
    if not url:
        return None
    if is_in_copyright(url):
        return ALL_RIGHTS_RESERVED
    if m := _CC_LICENCE.match(url.strip()):
        return f"CC {m.group(1).upper()} {m.group(2)}"
    if m := _CC_ZERO.match(url.strip()):
        return f"CC0 {m.group(1)}"
    if m := _CC_MARK.match(url.strip()):
        return f"Public Domain Mark {m.group(1)}"
    return None


def is_public_domain(url: str | None) -> bool:
    """CC0 or the Public Domain Mark: the work is not (or no longer) under copyright (``xmpRights:Marked=False``)."""
    return bool(url) and bool(_CC_ZERO.match(url.strip()) or _CC_MARK.match(url.strip()))  # type: ignore[union-attr]


def licence_line_html(record: ConsentRecord, *, licence: str | None = None, name: str | None = None) -> str:
    """``<p>Ana Artist · <a href="…" rel="license">CC BY-NC-ND 4.0</a> · No AI training</p>``, or "" when off.

    ``licence`` overrides ``record.licence_url`` (e.g. the artist's licensing page); ``name`` overrides the
    link text (default: the CC short name, "All rights reserved" for no licence, else "Licence"). Every piece is
    HTML-escaped.
    """
    if not record.show_licence_line:
        return ""
    url = rights_url(record, licence)
    parts: list[str] = []
    if record.attribution:
        parts.append(escape(record.attribution))
    label = check_text(name, "name", limit=100) if name else (licence_name(url) or "Licence")
    parts.append(f'<a href="{escape(url, quote=True)}" rel="license">{escape(label)}</a>')
    parts.append(TRAINING_PHRASES[record.ai_training])
    return f"<p>{' · '.join(parts)}</p>"
