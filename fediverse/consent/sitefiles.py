"""Origin-level files: /robots.txt, /.well-known/tdmrep.json, /ai.txt and TDM policy documents (ODRL).

Each takes the instance record plus the artists whose record differs, as path rules: the path prefixes under
which an artist's pages and media live (``/@alice/``, ``/media/<alice-id>/`` …) and that artist's record. Only
artists who differ from the instance need to be listed; listing the others is harmless.

Per-response headers supersede these files (TDMRep processing order), so these files are the coarse layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence, Union
from urllib.parse import quote

from fediverse.consent import vocab
from fediverse.consent.crawlers import ai_crawler_tokens
from fediverse.consent.record import ConsentRecord, check_text, check_url
from fediverse.errors import Invalid

MAX_PREFIX = 512
# Spawning's ai.txt lists file types; ours are the media types the server stores and serves.
AI_TXT_EXTENSIONS: tuple[str, ...] = (
    "jpg", "jpeg", "png", "webp", "gif", "avif", "heic", "heif", "tif", "tiff", "bmp", "svg",
    "mp4", "webm", "mov", "m4v", "mp3", "ogg", "oga", "opus", "flac", "wav",
)  # fmt: skip


@dataclass(frozen=True)
class PathRule:
    """An artist's path prefixes, their effective record, and optionally their own TDM policy URL."""

    prefixes: tuple[str, ...]
    record: ConsentRecord
    policy_url: str | None = None

    def __post_init__(self) -> None:
        prefixes = (self.prefixes,) if isinstance(self.prefixes, str) else tuple(self.prefixes)
        object.__setattr__(self, "prefixes", tuple(normalise_prefix(p) for p in prefixes))
        if self.policy_url is not None:
            object.__setattr__(self, "policy_url", check_url(self.policy_url, "policy_url"))


RuleLike = Union[PathRule, tuple[Sequence[str], ConsentRecord], tuple[Sequence[str], ConsentRecord, str | None]]


def normalise_prefix(prefix: str) -> str:
    """A robots.txt-style path prefix: starts with "/", no wildcards, spaces or comments; non-ASCII encoded."""
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise Invalid(f"path prefix must start with '/': {prefix!r}")
    if len(prefix) > MAX_PREFIX:
        raise Invalid(f"path prefix longer than {MAX_PREFIX} characters")
    if any(ch in prefix for ch in "*$#") or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in prefix):
        raise Invalid(f"path prefix may not contain wildcards, '#', spaces or control characters: {prefix!r}")
    return quote(prefix, safe="/@:!&'()+,;=-._~%")


def _rules(artists: Iterable[RuleLike]) -> list[PathRule]:
    rules = []
    for item in artists:
        if isinstance(item, PathRule):
            rules.append(item)
        elif isinstance(item, tuple) and len(item) in (2, 3):
            rules.append(PathRule(*item))  # type: ignore[arg-type]
        else:
            raise Invalid(f"expected (prefixes, record[, policy_url]), got {item!r}")
    return rules


def _by_specificity(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Most specific (longest) prefix first; ties in a stable, readable order."""
    return sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0]))


def _content_usage_lines(instance: ConsentRecord, rules: list[PathRule]) -> list[str]:
    lines = [f"Content-Usage: {instance.content_usage}"]
    pairs = [(p, r.record) for r in rules for p in r.prefixes if r.record.content_usage != instance.content_usage]
    lines += [f"Content-Usage: {prefix} {record.content_usage}" for prefix, record in _by_specificity(pairs)]
    return lines


def robots_txt(
    instance: ConsentRecord,
    artists: Iterable[RuleLike] = (),
    *,
    crawlers: Sequence[str] | None = None,
    disallow: Sequence[str] = (),
    sitemaps: Sequence[str] = (),
) -> str:
    """/robots.txt: one group for the AI crawler list, one for everyone else.

    AI group: ``Disallow: /`` when the instance default refuses AI crawling (training or AI input), with
    ``Allow:`` lines for artists who opt in; when the instance allows it, ``Allow: /`` with ``Disallow:`` lines
    for artists who refuse. Both groups carry the AIPREF ``Content-Usage`` rules (instance, then per path for
    artists who differ), because a crawler obeys only the group that names it. The ``*`` group also gets
    ``disallow`` (hygiene paths such as /api/, inboxes) and the instance's Cloudflare ``Content-Signal``.
    """
    rules = _rules(artists)
    tokens = tuple(crawlers) if crawlers is not None else ai_crawler_tokens()
    for token in tokens:
        check_text(token, "crawler token", limit=200)
    hygiene = [normalise_prefix(p) for p in disallow]
    usage = _content_usage_lines(instance, rules)

    lines = [
        "# Generated from the artists' consent settings. Content-Usage: IETF AIPREF; Content-Signal: Cloudflare.",
        "# AI crawler list: ai-robots-txt/ai.robots.txt (MIT licence).",
        "",
    ]
    lines += [f"User-agent: {token}" for token in tokens]
    if instance.refuses_ai_crawlers:
        opted_in = [(p, r) for r in rules if not r.record.refuses_ai_crawlers for p in r.prefixes]
        lines += [f"Allow: {prefix}" for prefix, _ in _by_specificity(opted_in)]
        lines.append("Disallow: /")
    else:
        refusing = [(p, r) for r in rules if r.record.refuses_ai_crawlers for p in r.prefixes]
        lines += [f"Disallow: {prefix}" for prefix, _ in _by_specificity(refusing)]
        lines.append("Allow: /")
    lines += usage
    lines += ["", "User-agent: *"]
    lines += [f"Disallow: {prefix}" for prefix in hygiene]
    lines.append("Allow: /")
    lines += usage
    lines.append(f"Content-Signal: {instance.content_signal}")
    if sitemaps:
        lines.append("")
        lines += [f"Sitemap: {check_url(url, 'sitemap')}" for url in sitemaps]
    return "\n".join(lines) + "\n"


def tdmrep_rules(
    instance: ConsentRecord, artists: Iterable[RuleLike] = (), *, policy_url: str | None = None
) -> list[dict[str, Any]]:
    """/.well-known/tdmrep.json rules, most specific first, ending with the whole-site rule for "/"."""
    instance_policy = check_url(policy_url, "policy_url") if policy_url else None
    pairs: list[tuple[str, dict[str, Any]]] = []
    for rule in _rules(artists):
        reservation = rule.record.tdm_reservation
        policy = (rule.policy_url or instance_policy) if reservation else None
        site_policy = instance_policy if instance.tdm_reservation else None
        if reservation == instance.tdm_reservation and policy == site_policy:
            continue
        for prefix in rule.prefixes:
            entry: dict[str, Any] = {"location": prefix, "tdm-reservation": reservation}
            if policy:
                entry["tdm-policy"] = policy
            pairs.append((prefix, entry))
    entries = [entry for _, entry in _by_specificity(pairs)]
    site: dict[str, Any] = {"location": "/", "tdm-reservation": instance.tdm_reservation}
    if instance.tdm_reservation and instance_policy:
        site["tdm-policy"] = instance_policy
    return entries + [site]


def tdmrep_json(
    instance: ConsentRecord, artists: Iterable[RuleLike] = (), *, policy_url: str | None = None
) -> str:
    """The /.well-known/tdmrep.json body (a JSON array, as the spec requires even for one rule)."""
    return json.dumps(tdmrep_rules(instance, artists, policy_url=policy_url), indent=2) + "\n"


def ai_txt(
    instance: ConsentRecord, artists: Iterable[RuleLike] = (), *, extensions: Sequence[str] = AI_TXT_EXTENSIONS
) -> str:
    """/ai.txt in Spawning's format (robots.txt grammar with file-type wildcards), about training datasets."""
    rules = _rules(artists)
    lines = [
        "# Spawning ai.txt, generated from the artists' consent settings.",
        "# Prevent datasets from using the following file types" if instance.restricts_training else
        "# Datasets may use this site's files except under the paths below",
        "",
        "User-Agent: *",
    ]
    if instance.restricts_training:
        opted_in = [(p, r) for r in rules if not r.record.restricts_training for p in r.prefixes]
        lines += [f"Allow: {prefix}" for prefix, _ in _by_specificity(opted_in)]
        for ext in extensions:
            if not ext.isalnum():
                raise Invalid(f"file extension must be letters and digits: {ext!r}")
            lines.append(f"Disallow: *.{ext.lower()}")
        lines += ["Disallow: /", "Disallow: *"]
    else:
        refusing = [(p, r) for r in rules if r.record.restricts_training for p in r.prefixes]
        lines += [f"Disallow: {prefix}" for prefix, _ in _by_specificity(refusing)]
        lines.append("Allow: /")
    return "\n".join(lines) + "\n"


def tdm_policy(
    record: ConsentRecord,
    *,
    uid: str,
    assigner: str | None = None,
    assigner_name: str | None = None,
    email: str | None = None,
    licensing_url: str | None = None,
) -> dict[str, Any]:
    """The ODRL (TDMRep profile) policy served at the ``tdm-policy`` URL as ``application/ld+json``.

    While rights are reserved, mining is permitted only with consent (duty ``obtainConsent``); otherwise
    mining is permitted outright. ``assigner`` is the actor (or instance) URL; the rest fill its vCard.
    """
    policy: dict[str, Any] = {
        "@context": [vocab.ODRL_CONTEXT, vocab.TDMREP_CONTEXT],
        "@type": "Offer",
        "profile": vocab.TDMREP_PROFILE,
        "uid": check_url(uid, "uid"),
    }
    if assigner:
        party: dict[str, Any] = {"uid": check_url(assigner, "assigner")}
        if assigner_name:
            party["vcard:fn"] = check_text(assigner_name, "assigner_name", limit=200)
        if email:
            address = check_text(email, "email", limit=254)
            if "@" not in address or any(ch in address for ch in " <>\"'"):
                raise Invalid(f"email: not an e-mail address: {address!r}")
            party["vcard:hasEmail"] = f"mailto:{address}"
        if licensing_url:
            party["vcard:hasURL"] = check_url(licensing_url, "licensing_url")
        policy["assigner"] = party
    if record.tdm_reservation:
        policy["permission"] = [{"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}]
    else:
        policy["permission"] = [{"action": "tdm:mine"}]
    return policy
