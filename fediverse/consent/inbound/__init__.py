"""Honouring inbound signals (consent doc §16): read consent off remote AP JSON, HTTP headers and XMP.

Each reader returns ``InboundSignals``: tri-state fields (None = the source said nothing) plus a provenance list
saying which signal produced what, including what was unparseable or ignored and why. ``combine`` merges any
number of them with AIPREF's rule: any "disallow" wins, then any "allow", else unknown. ``to_record`` fills the
unknowns from a default record (the instance policy) to give a ``ConsentRecord`` for re-emission.

Readers never raise on hostile input: wrong types, malformed structured fields, duplicated or oddly cased
headers, huge or entity-laden XMP all end up as provenance entries.
"""

from fediverse.consent.inbound.activitypub import signals_from_activitypub
from fediverse.consent.inbound.http import signals_from_headers
from fediverse.consent.inbound.readers import (
    ContentUsage,
    data_mining_meaning,
    licence_links,
    parse_content_usage,
    x_robots_directives,
)
from fediverse.consent.inbound.signals import OUR_TOKENS, InboundSignals, Provenance, combine
from fediverse.consent.inbound.xmp import signals_from_xmp

__all__ = ["OUR_TOKENS", "ContentUsage", "InboundSignals", "Provenance", "combine", "data_mining_meaning",
           "licence_links", "parse_content_usage", "signals_from_activitypub", "signals_from_headers",
           "signals_from_xmp", "x_robots_directives"]
