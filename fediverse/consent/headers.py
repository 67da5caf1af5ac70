"""HTTP response headers and HTML <head> elements for a consent record (consent doc §§1–3, §6, §15).

Send the headers on every HTML page, ActivityPub JSON response and media response (originals, every rendition,
avatars, 304s and HEAD too): img2dataset reads only the ``X-Robots-Tag`` header of the image response itself.
"""

from __future__ import annotations

from html import escape

from fediverse.consent import vocab
from fediverse.consent.licence import rights_url
from fediverse.consent.record import ConsentRecord, check_url


def _urls(record: ConsentRecord, policy_url: str | None, licence: str | None) -> tuple[str | None, str]:
    policy = check_url(policy_url, "policy_url") if policy_url and record.tdm_reservation else None
    return policy, rights_url(record, licence)


def http_headers(
    record: ConsentRecord, *, policy_url: str | None = None, licence: str | None = None
) -> list[tuple[str, str]]:
    """``[(name, value), …]`` in a fixed order: X-Robots-Tag, tdm-reservation, tdm-policy, Content-Usage, Link.

    ``tdm-policy`` is sent only while rights are reserved (the spec says not to process it otherwise).
    ``licence`` overrides ``record.licence_url``; with neither, the ``Link`` names "In Copyright" (``rights_url``).
    """
    policy, licence_url = _urls(record, policy_url, licence)
    headers: list[tuple[str, str]] = []
    if record.robots_directives:
        headers.append((vocab.X_ROBOTS_TAG, ", ".join(record.robots_directives)))
    headers.append((vocab.TDM_RESERVATION, str(record.tdm_reservation)))
    if policy:
        headers.append((vocab.TDM_POLICY, policy))
    headers.append((vocab.CONTENT_USAGE, record.content_usage))
    headers.append((vocab.LINK, f'<{licence_url}>; rel="license"'))
    return headers


def html_head(
    record: ConsentRecord, *, policy_url: str | None = None, licence: str | None = None
) -> list[tuple[str, dict[str, str]]]:
    """The <head> elements as ``(tag, attributes)``: meta robots, meta tdm-reservation / tdm-policy, link license."""
    policy, licence_url = _urls(record, policy_url, licence)
    elements: list[tuple[str, dict[str, str]]] = []
    if record.robots_directives:
        elements.append(("meta", {"name": "robots", "content": ", ".join(record.robots_directives)}))
    elements.append(("meta", {"name": "tdm-reservation", "content": str(record.tdm_reservation)}))
    if policy:
        elements.append(("meta", {"name": "tdm-policy", "content": policy}))
    elements.append(("link", {"rel": "license", "href": licence_url}))
    return elements


def html_head_markup(
    record: ConsentRecord, *, policy_url: str | None = None, licence: str | None = None
) -> str:
    """The same elements as escaped HTML, one per line (safe to insert with Jinja's ``|safe`` / ``Markup``)."""
    lines = []
    for tag, attrs in html_head(record, policy_url=policy_url, licence=licence):
        rendered = " ".join(f'{name}="{escape(value, quote=True)}"' for name, value in attrs.items())
        lines.append(f"<{tag} {rendered}>")
    return "\n".join(lines)
