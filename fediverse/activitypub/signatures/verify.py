"""Inbound verification in two steps, so the key is fetched only when needed.

``read_signature`` parses and applies every rule that needs no key (which
headers are signed, keyId present, dates parseable); the caller then resolves
``info.key_id`` to a public key and calls ``verify_request``.
"""

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from .errors import SignatureError
from .http_parts import BODY_METHODS, authority, limited, lower_headers
from .info import SignedRequestInfo
from .keys import load_public_key
from .time_window import check_time_window
from .verify_cavage import read_cavage, verify_cavage
from .verify_rfc9421 import read_rfc9421, verify_rfc9421

__all__ = ["SignedRequestInfo", "read_signature", "verify_request"]


def read_signature(
    method: str, path_and_query: str, url: str, headers: Mapping[str, str]
) -> SignedRequestInfo:
    """Parse the request's signature; RFC 9421 when Signature-Input is present."""
    lowered = lower_headers(headers)
    if "signature-input" in lowered:
        return read_rfc9421(lowered)
    value = limited(lowered, "signature")
    if value is None:
        auth = limited(lowered, "authorization") or ""
        if auth[:10].lower() == "signature ":
            value = auth
    if value is None:
        raise SignatureError("missing signature")
    return read_cavage(method, lowered, value)


def verify_request(
    info: SignedRequestInfo,
    method: str,
    path_and_query: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_key: PublicKeyTypes | str,
    *,
    now: datetime | None = None,
    require_digest_for_body: bool = True,
) -> None:
    """Check freshness, body digest and the signature itself; raise SignatureError.

    ``url`` is the absolute URL as this server names it (its configured base URL + the requested path), never
    one built from the request's Host header: both schemes bind the signature to it."""
    if isinstance(public_key, str):
        public_key = load_public_key(public_key)
    lowered = lower_headers(headers)
    check_time_window(info.created, info.expires, now)
    payload = body or b""
    needs_digest = require_digest_for_body and (method.upper() in BODY_METHODS or bool(payload))
    if info.scheme == "cavage":
        verify_cavage(info, method, path_and_query, lowered, payload, needs_digest, public_key,
                      our_host=authority(url), scheme=urlsplit(url).scheme)
    else:
        verify_rfc9421(
            info, method, path_and_query, url, lowered, payload, needs_digest, public_key
        )
