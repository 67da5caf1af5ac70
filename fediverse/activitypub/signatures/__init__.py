"""HTTP signatures for federation: draft-cavage (Mastodon's) and RFC 9421.

Pure: no I/O, no HTTP client; callers pass headers in and merge headers out.
"""

from .cavage import parse_signature_header, sign_cavage
from .digest import check_digest, content_digest_header, digest_header
from .errors import SignatureError
from .info import SignedRequestInfo
from .keys import (
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_pem,
)
from .rfc9421 import sign_rfc9421
from .verify import read_signature, verify_request

__all__ = [
    "SignatureError",
    "SignedRequestInfo",
    "check_digest",
    "content_digest_header",
    "digest_header",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "parse_signature_header",
    "private_key_to_pem",
    "public_key_pem",
    "read_signature",
    "sign_cavage",
    "sign_rfc9421",
    "verify_request",
]
