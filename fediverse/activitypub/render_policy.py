"""Interaction policies and quote consent on the wire: GoToSocial's ``interactionPolicy`` (which Mastodon 4.5 reads
for ``canQuote``) and FEP-044f's QuoteRequest answers and QuoteAuthorization objects.

Pure: the caller passes the policy values ("anyone" | "followers" | "nobody"; activitypub does not import consent).
"""

from __future__ import annotations

from typing import Any

from fediverse.activitypub.render import AS_CONTEXT, AS_PUBLIC

GTS_NS = "https://gotosocial.org/ns#"
FEP_044F_NS = "https://w3id.org/fep/044f#"
# Inline terms, as GoToSocial's https://gotosocial.org/ns and Mastodon 4.5's context define them.
INTERACTION_TERMS: dict[str, Any] = {
    "gts": GTS_NS,
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
    "canReply": {"@id": "gts:canReply", "@type": "@id"},
    "canAnnounce": {"@id": "gts:canAnnounce", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
    "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
    "quote": {"@id": FEP_044F_NS + "quote", "@type": "@id"},
    "quoteAuthorization": {"@id": FEP_044F_NS + "quoteAuthorization", "@type": "@id"},
    "QuoteRequest": FEP_044F_NS + "QuoteRequest",
    "QuoteAuthorization": FEP_044F_NS + "QuoteAuthorization",
}
QUOTE_CONTEXT: list[Any] = [AS_CONTEXT, INTERACTION_TERMS]
_KEYS = {"quotes": "canQuote", "replies": "canReply", "boosts": "canAnnounce"}


def _approval(value: str, author_uri: str, followers_uri: str) -> dict[str, list[str]]:
    allowed = {"anyone": [AS_PUBLIC], "followers": [followers_uri, author_uri], "nobody": [author_uri]}[value]
    return {"automaticApproval": allowed, "manualApproval": []}


def render_interaction_policy(policy: dict[str, str], *, author_uri: str, followers_uri: str) -> dict[str, Any]:
    """``{"interactionPolicy": {"canQuote": …, "canReply": …, "canAnnounce": …}}`` for a Note; ``policy`` maps
    quotes / replies / boosts to a value. "Nobody" still names the author: she may always interact."""
    return {"interactionPolicy": {_KEYS[kind]: _approval(value, author_uri, followers_uri)
                                  for kind, value in policy.items()}}


def render_quote_authorization(uri: str, author_uri: str, quoting_uri: str, target_uri: str) -> dict[str, Any]:
    """The object an Accept's ``result`` names; the quoting server dereferences it to check the consent."""
    return {"@context": QUOTE_CONTEXT, "id": uri, "type": "QuoteAuthorization", "attributedTo": author_uri,
            "interactingObject": quoting_uri, "interactionTarget": target_uri}


def render_quote_answer(kind: str, activity_id: str, author_uri: str, request: dict[str, Any],
                        result: str | None = None) -> dict[str, Any]:
    """Accept (with ``result`` = the authorization) or Reject of a QuoteRequest, embedding the request."""
    embedded = {k: v for k, v in request.items() if k != "@context"}
    doc: dict[str, Any] = {"@context": QUOTE_CONTEXT, "id": activity_id, "type": kind, "actor": author_uri,
                           "to": [str(request.get("actor"))], "object": embedded}
    if result is not None:
        doc["result"] = result
    return doc


def render_quote_revocation(activity_id: str, author_uri: str, authorization_uri: str,
                            quoter_uri: str) -> dict[str, Any]:
    """Delete of a QuoteAuthorization: the artist withdrew her consent (FEP-044f §revocation)."""
    return {"@context": QUOTE_CONTEXT, "id": activity_id, "type": "Delete", "actor": author_uri, "to": [quoter_uri],
            "object": authorization_uri}
