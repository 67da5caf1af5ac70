"""The consent record (AI training, TDM, AI input, search, licence, attribution) and its projections.

Pure: no database, no network, no file I/O except the packaged crawler list. Emitters are functions of an
effective ``ConsentRecord`` (``effective(instance, artist, work)``) plus small context such as URLs:

- JSON-LD: ``JSONLD_TERMS`` / ``with_consent_terms`` and ``jsonld_properties``
- HTTP: ``http_headers``; HTML: ``html_head`` / ``html_head_markup``; visible text: ``licence_line_html``
- site files: ``robots_txt``, ``tdmrep_json`` / ``tdmrep_rules``, ``ai_txt``, ``tdm_policy``
- images: ``xmp_packet`` (for ``fediverse.imaging.derive(..., xmp=...)``)
- crawlers: ``is_ai_crawler``

Inbound: ``signals_from_activitypub``, ``signals_from_headers``, ``signals_from_xmp`` → ``InboundSignals``
(with provenance), merged by ``combine`` (any disallow wins) and turned into a record by ``to_record``.
See shared/docs/consent.md for the standards.
"""

from fediverse.consent.crawlers import ai_crawler_match, ai_crawler_tokens, is_ai_crawler
from fediverse.consent.headers import html_head, html_head_markup, http_headers
from fediverse.consent.inbound import (
    ContentUsage,
    InboundSignals,
    Provenance,
    combine,
    parse_content_usage,
    signals_from_activitypub,
    signals_from_headers,
    signals_from_xmp,
    x_robots_directives,
)
from fediverse.consent.jsonld import JSONLD_TERMS, jsonld_properties, with_consent_terms
from fediverse.consent.licence import licence_line_html, licence_name
from fediverse.consent.record import AI_TRAINING_VALUES, AiTraining, ConsentOverride, ConsentRecord, effective
from fediverse.consent.sitefiles import PathRule, ai_txt, robots_txt, tdm_policy, tdmrep_json, tdmrep_rules
from fediverse.consent.vocab import CONSENT_NS
from fediverse.consent.xmp import XmpReading, read_xmp, xmp_packet

__all__ = [
    "AI_TRAINING_VALUES",
    "CONSENT_NS",
    "JSONLD_TERMS",
    "AiTraining",
    "ConsentOverride",
    "ConsentRecord",
    "ContentUsage",
    "InboundSignals",
    "PathRule",
    "Provenance",
    "XmpReading",
    "ai_crawler_match",
    "ai_crawler_tokens",
    "ai_txt",
    "combine",
    "effective",
    "html_head",
    "html_head_markup",
    "http_headers",
    "is_ai_crawler",
    "jsonld_properties",
    "licence_line_html",
    "licence_name",
    "parse_content_usage",
    "read_xmp",
    "robots_txt",
    "signals_from_activitypub",
    "signals_from_headers",
    "signals_from_xmp",
    "tdm_policy",
    "tdmrep_json",
    "tdmrep_rules",
    "with_consent_terms",
    "x_robots_directives",
    "xmp_packet",
]
