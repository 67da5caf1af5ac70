"""The consent fields of the profile form (artist) and the work form (per work): read, check, show.

Every field may be left at "inherit" (the instance default for an artist, the artist's choice for a work), which
removes the key from the stored override. A field missing from the POST entirely keeps its stored value, so a
form that does not show it (or an old page) never resets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from starlette.datastructures import FormData

from fediverse.consent import AI_TRAINING_VALUES, ConsentRecord
from fediverse.consent.record import MAX_TEXT

PREFIX = "consent_"
TRAINING_LABELS = {
    "allowed": "Allowed: AI training may use my work",
    "no_generative": "No generative AI training (other machine learning is allowed)",
    "none": "No AI training at all",
}
YES_NO = {"yes": True, "no": False}
ARTIST_FIELDS = ("ai_training", "tdm_reserved", "ai_input", "search", "show_licence_line", "attribution")
WORK_FIELDS = ("ai_training", "show_licence_line")
BOOLEAN_FIELDS = ("tdm_reserved", "ai_input", "search", "show_licence_line")


@dataclass(frozen=True)
class Choice:
    """One select as the template shows it."""

    name: str  # form field name
    label: str
    hint: str
    options: list[tuple[str, str]]  # (value, label); value "" = inherit
    value: str  # currently selected


def shown_values(override: Mapping[str, Any] | None, fields: tuple[str, ...]) -> dict[str, str]:
    """The stored override as form values ("" = inherit)."""
    values: dict[str, str] = {}
    for name in fields:
        value = (override or {}).get(name)
        if value is None:
            values[name] = ""
        elif isinstance(value, bool):
            values[name] = "yes" if value else "no"
        else:
            values[name] = str(value)
    return values


def read(form: FormData, fields: tuple[str, ...], shown: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``(changes, errors)``: changes map a field to its new value (None = inherit); ``shown`` is updated in place
    with what was sent, so a form with errors shows it again. Fields absent from the POST are not changed."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in fields:
        raw = form.get(PREFIX + name)
        if raw is None:
            continue
        value = raw.strip() if isinstance(raw, str) else ""
        shown[name] = value
        if name == "attribution":
            if len(value) > MAX_TEXT:
                errors[name] = f"At most {MAX_TEXT} characters."
            changes[name] = value or None
        elif value == "":
            changes[name] = None
        elif name == "ai_training":
            if value not in AI_TRAINING_VALUES:
                errors[name] = "Choose one of the listed options."
            else:
                changes[name] = value
        elif value in YES_NO:
            changes[name] = YES_NO[value]
        else:
            errors[name] = "Choose one of the listed options."
    return changes, errors


def _yes_no(default: str, inherited: bool, yes: str, no: str) -> list[tuple[str, str]]:
    return [("", f"{default} ({yes if inherited else no})"), ("yes", yes), ("no", no)]


def choices(values: dict[str, str], inherited: ConsentRecord, fields: tuple[str, ...], *, default: str) -> list[Choice]:
    """The selects of ``fields`` (not attribution); ``inherited`` is what "inherit" currently means, ``default``
    names it ("Instance default", "Your default")."""
    found = []
    specs = {
        "ai_training": ("AI training", "Whether your work may be used to train AI models. Sent as noai / "
                        "Content-Usage / TDMRep signals with every page, image and post.",
                        [("", f"{default} ({TRAINING_LABELS[inherited.ai_training]})"),
                         *TRAINING_LABELS.items()]),
        "tdm_reserved": ("Text and data mining", "Reserve your rights (EU Directive 2019/790, Art. 4): miners must "
                         "ask you first. Refusing AI training always reserves them too.",
                         _yes_no(default, inherited.tdm_reserved, "Reserved", "Not reserved")),
        "ai_input": ("AI input", "Whether AI assistants and agents may read your work to answer questions "
                     "(retrieval, grounding).", _yes_no(default, inherited.ai_input, "Allowed", "Not allowed")),
        "search": ("Search engines", "Whether search engines may index your pages and images.",
                   _yes_no(default, inherited.search, "Allowed", "Not allowed (noindex)")),
        "show_licence_line": ("Licence line", "A short line under each post on other servers: your credit, the "
                              "licence and your AI-training choice.",
                              _yes_no(default, inherited.show_licence_line, "Shown", "Not shown")),
    }
    for name in fields:
        if name not in specs:
            continue
        label, hint, options = specs[name]
        found.append(Choice(PREFIX + name, label, hint, options, values.get(name, "")))
    return found
