"""The interaction-consent selects (who may quote, reply, boost) of the profile form (artist) and the work form.

They sit in the Consent fieldset beside the AI-training selects (same ``Choice`` shape, so the templates loop over
one list). "" means inherit: the instance default for an artist, the artist's choice for a work. A select missing
from the POST keeps its stored value.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from fediverse.consent.interaction import COLUMNS, KINDS, POLICY_VALUES, InteractionPolicy
from fediverse.web.panel.consent_form import Choice

PREFIX = "policy_"
LABELS = {"anyone": "Anyone", "followers": "Only my followers", "nobody": "Nobody but me"}
SPECS = {
    "quotes": ("Quotes", "Who may quote this in a post of their own. Mastodon and GoToSocial ask first and get your "
               "answer at once; changing it later withdraws the permissions it no longer covers."),
    "replies": ("Replies", "Who may reply. Sent with every post; servers that read interaction policies (GoToSocial) "
                "hold other replies back."),
    "boosts": ("Boosts", "Who may boost (share) it. Sent with every post; servers that read interaction policies "
               "obey it."),
}


def shown(holder: Any) -> dict[str, str]:
    """The stored choices of an account or a work as form values ("" = inherit)."""
    return {kind: getattr(holder, COLUMNS[kind], None) or "" for kind in KINDS}


def read(form: FormData, values: dict[str, str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """``(changes, errors)``, errors by form field name; ``values`` is updated with what was sent so a form with
    errors shows it again."""
    changes: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for kind in KINDS:
        raw = form.get(PREFIX + kind)
        if raw is None:
            continue
        value = raw.strip() if isinstance(raw, str) else ""
        values[kind] = value
        if value and value not in POLICY_VALUES:
            errors[PREFIX + kind] = f"{SPECS[kind][0]}: choose one of the listed options."
        else:
            changes[kind] = value or None
    return changes, errors


def choices(values: dict[str, str], inherited: InteractionPolicy, *, default: str) -> list[Choice]:
    """The three selects; ``inherited`` is what "inherit" means now, ``default`` names it."""
    found = []
    for kind in KINDS:
        label, hint = SPECS[kind]
        options = [("", f"{default} ({LABELS[getattr(inherited, kind)]})"), *LABELS.items()]
        found.append(Choice(PREFIX + kind, label, hint, options, values.get(kind, "")))
    return found
