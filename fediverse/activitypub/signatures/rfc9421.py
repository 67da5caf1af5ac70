"""RFC 9421 HTTP Message Signatures: signing and the signature base.

Mastodon retries a delivery with RFC 9421 after a 400/401 ("double-knocking")
and 4.5+ accepts it inbound, so we sign and verify it too.
"""

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from . import structured_fields as sf
from .digest import content_digest_header
from .errors import SignatureError
from .http_parts import BODY_METHODS, authority, lower_headers, signed_lines, target_uri

LABEL = "sig1"
PSS_SALT_LENGTH = 64  # RFC 9421 §3.3.1 fixes the salt for rsa-pss-sha512


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return Content-Digest (for bodies, unless already present), Signature-Input
    and Signature, covering ``@method @target-uri [content-digest]`` like Mastodon."""
    method = method.upper()
    existing = lower_headers(headers)
    added: dict[str, str] = {}
    covered = ["@method", "@target-uri"]
    if body is not None or method in BODY_METHODS:
        expected = content_digest_header(body or b"")
        if "content-digest" not in existing:
            existing["content-digest"] = added["Content-Digest"] = expected
        elif existing["content-digest"] != expected:
            raise ValueError("Content-Digest header does not match body")
        covered.append("content-digest")
    alg = "ed25519" if isinstance(private_key, ed25519.Ed25519PrivateKey) else "rsa-v1_5-sha256"
    created = int((now or datetime.now(UTC)).timestamp())
    params: sf.Params = {"created": created, "keyid": key_id, "alg": alg}
    signature_params = sf.serialize_inner_list([(name, {}) for name in covered], params)
    values = component_values(method, url, None, existing)
    base = signature_base(covered, values, signature_params)
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        raw = private_key.sign(base)
    elif isinstance(private_key, rsa.RSAPrivateKey):
        raw = private_key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise TypeError("RFC 9421 signing needs an RSA or Ed25519 private key")
    added["Signature-Input"] = f"{LABEL}={signature_params}"
    added["Signature"] = f"{LABEL}=:{base64.b64encode(raw).decode('ascii')}:"
    return added


def component_values(
    method: str, url: str, request_path: str | None, headers: Mapping[str, str]
) -> dict[str, str]:
    """Derived components (§2.2) plus the lower-cased header fields.

    ``request_path`` is the path-and-query as received; when None it is taken
    from ``url``. A malformed URL is a SignatureError, since on the verifying
    side it was built from the request's own Host header.
    """
    try:
        parts = urlsplit(url)
        values = {
            "@method": method.upper(),
            "@target-uri": target_uri(url),
            "@authority": authority(url),
            "@scheme": parts.scheme.lower(),
        }
    except ValueError as exc:
        raise SignatureError("request URL is malformed") from exc
    if request_path is None:
        request_path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path, _, query = request_path.partition("?")
    values["@path"] = path or "/"
    values["@query"] = f"?{query}"
    values["@request-target"] = request_path
    for name, value in headers.items():
        if not name.startswith("@"):
            values[name] = value
    return values


def signature_base(covered: list[str], values: Mapping[str, str], signature_params: str) -> bytes:
    """The exact bytes signed (RFC 9421 §2.5)."""
    lines = signed_lines(covered, values, "covered component", quoted=True)
    lines.append(f'"@signature-params": {signature_params}')
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError as exc:
        raise SignatureError("signature base contains non-ASCII characters") from exc
