"""Body digests: cavage ``Digest`` and RFC 9530 ``Content-Digest``.

The signature only covers the digest header, so the digest is what binds the
body to the signature; it must be computed over the exact bytes on the wire.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from . import structured_fields as sf
from .errors import SignatureError, shown
from .http_parts import limited, lower_headers

_CONTENT_DIGEST_HASHES = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def digest_header(body: bytes) -> str:
    """Cavage ``Digest`` value, as Mastodon sends and expects it."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """RFC 9530 ``Content-Digest`` value (a structured-field dictionary)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def check_digest(headers: Mapping[str, str], body: bytes) -> None:
    """Verify every digest header present against ``body``; require at least one."""
    lowered = lower_headers(headers)
    digest = limited(lowered, "digest")
    content_digest = limited(lowered, "content-digest")
    if digest is None and content_digest is None:
        raise SignatureError("Digest header missing")
    if digest is not None:
        check_cavage_digest(digest, body)
    if content_digest is not None:
        check_content_digest(content_digest, body)


def check_cavage_digest(value: str, body: bytes) -> None:
    """Mastodon's ``verify_body_digest!``: several algorithms allowed, sha-256 required."""
    offered: dict[str, str] = {}
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        if sep:
            offered.setdefault(name.strip().lower(), encoded.strip())
    if "sha-256" not in offered:
        algos = shown(", ".join(offered) or "none")
        raise SignatureError(f"Digest header must include SHA-256 (offered algorithms: {algos})")
    try:
        given = base64.b64decode(offered["sha-256"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("Digest header SHA-256 value is not valid base64") from exc
    if len(given) != 32:
        raise SignatureError("Digest header SHA-256 value is not a 32-byte digest")
    if not hmac.compare_digest(given, hashlib.sha256(body).digest()):
        raise SignatureError("Digest header does not match body")


def check_content_digest(value: str, body: bytes) -> None:
    """RFC 9530: every supported algorithm listed must match; one must be supported."""
    members = sf.parse_dictionary(value, "Content-Digest")
    checked = False
    for algorithm, (digest, _params) in members.items():
        hasher = _CONTENT_DIGEST_HASHES.get(algorithm)
        if hasher is None:
            continue  # RFC 9530 lets recipients ignore algorithms they don't know
        if not isinstance(digest, bytes):
            raise SignatureError(f"Content-Digest {algorithm} value is not a byte sequence")
        if not hmac.compare_digest(digest, hasher(body).digest()):
            raise SignatureError("Content-Digest header does not match body")
        checked = True
    if not checked:
        algos = shown(", ".join(members) or "none")
        raise SignatureError(
            f"Content-Digest must include sha-256 or sha-512 (offered algorithms: {algos})"
        )
