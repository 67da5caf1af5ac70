"""`fediverse consent audit`: crawl an actor as a scraper would, and report which consent signals each surface has.

What is expected where is consent doc §15 (the emission plan), computed with the same projections the emitters
use (``jsonld_properties``, ``http_headers``, ``html_head``, ``xmp_packet``'s fields), applied to the record each
document states about itself:

- the actor document, its outbox (collection and pages), featured, followers and following collections (and
  their pages), every object listed there (fetched by id, too) with its ``likes`` / ``shares`` / ``replies``
  collections, and every attachment: our JSON-LD terms, the ``@context`` defining them, and the HTTP headers on
  each ActivityPub response;
- the rights statement on every surface (JSON-LD ``license``, ``Link rel=license``, ``<link rel=license>``, XMP
  ``cc:license`` and ``xmpRights:WebStatement``): the licence, or "In Copyright"
  (``http://rightsstatements.org/vocab/InC/1.0/``) when none is chosen, since all rights reserved is a
  statement, not an absence;
- the HTML pages (the actor's profile, each object's page): ``<meta name="robots">``, ``tdm-reservation``,
  ``<link rel="license">`` and the same headers;
- every media URL (attachments, the images of the work pages, avatar and header): the headers on GET, HEAD and
  304 responses, and the XMP packet read back from the bytes; a rendition published as uploaded (Glaze-safe,
  the artist's own file) is reported as such, with whether it still carries the consent XMP;
- the site files: /robots.txt (AI crawler group, ``Content-Usage`` and ``Content-Signal``, and what they say for
  this artist's paths), /.well-known/tdmrep.json, /ai.txt, and the TDM policy (ODRL) document.

A check is *missing* when a signal is absent, a *conflict* when a surface is more permissive than the record of
the document it belongs to (stricter is fine), *invalid* when it cannot be read. Anything of ours (on the
instance's own host) with such a finding fails the audit; remote items are reported only (``strict`` fails them
too). The crawl is bounded: pages, objects and media URLs are capped, every request has a time-out and a size
cap, the whole audit a deadline, and private addresses are refused unless ``allow_private`` (the
``[federation] allow_private_addresses`` setting). Requests are unsigned, as a scraper's are.

Not to be confused with the moderation audit log (services/modlog.py, /admin/audit-log): this one audits what
consent signals a site serves. The parts: ``report`` (findings and limits), ``fetch`` (bounded GETs),
``readers`` (HTML, XMP, robots.txt), ``judge`` (a signal against its record), ``crawl`` (the documents),
``media`` and ``site_files``.
"""

from __future__ import annotations

from fediverse.services.consent_audit.crawl import audit
from fediverse.services.consent_audit.media import as_uploaded_paths
from fediverse.services.consent_audit.readers import parse_robots, robots_allows, robots_group, xmp_from_bytes
from fediverse.services.consent_audit.report import AuditError, AuditItem, AuditLimits, AuditReport, Check

__all__ = ["AuditError", "AuditItem", "AuditLimits", "AuditReport", "Check", "as_uploaded_paths", "audit",
           "parse_robots",
           "robots_allows", "robots_group", "xmp_from_bytes"]
