"""Key-free checks and signature verification for draft-cavage requests,
following Mastodon's ``SignedRequest::HttpSignature``."""

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from .cavage import REQUEST_TARGET, parse_signature_header, signing_string
from .digest import check_cavage_digest
from .errors import SignatureError, shown
from .http_parts import DEFAULT_PORTS, limited, parse_http_date, signed_digest
from .info import MAX_COVERED, SignedRequestInfo
from .time_window import timestamp_to_datetime

CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
PSEUDO_HEADERS = frozenset({"(created)", "(expires)"})
_TIMESTAMP = re.compile(r"(-?[0-9]{1,15})(?:\.[0-9]{1,9})?")


def read_cavage(method: str, lowered: Mapping[str, str], value: str) -> SignedRequestInfo:
    params = parse_signature_header(value)
    key_id = params.get("keyId")
    if not key_id:
        raise SignatureError("signature is missing keyId")
    if "signature" not in params:
        raise SignatureError("signature is missing the signature parameter")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in CAVAGE_ALGORITHMS:
        raise SignatureError(
            f"unsupported signature algorithm {shown(algorithm)}; use rsa-sha256 or hs2019"
        )
    signed = params.get("headers", "date").lower().split()
    if not signed or len(signed) > MAX_COVERED:
        raise SignatureError("headers must list between 1 and 32 entries")
    if PSEUDO_HEADERS & set(signed) and algorithm != "hs2019":
        raise SignatureError("(created) and (expires) may only be signed with hs2019")
    if "date" not in signed and "(created)" not in signed:
        raise SignatureError("headers must include date or (created)")
    if REQUEST_TARGET not in signed and "digest" not in signed:
        raise SignatureError("headers must include (request-target) or digest")
    if "host" not in signed:  # unsigned, a request made for another server could be replayed to us
        raise SignatureError("headers must include host")
    pseudo = {name: params.get(name[1:-1]) for name in PSEUDO_HEADERS & set(signed)}
    for name, raw in pseudo.items():
        if raw is None:
            raise SignatureError(f"{name} is signed but the {name[1:-1]} parameter is missing")
    if "(created)" in pseudo:
        created = _cavage_timestamp(pseudo["(created)"], "created")
    else:
        date = limited(lowered, "date")
        if date is None:
            raise SignatureError("Date header is signed but missing")
        created = parse_http_date(date)
    expires = _cavage_timestamp(pseudo["(expires)"], "expires") if "(expires)" in pseudo else None
    return SignedRequestInfo(
        scheme="cavage",
        key_id=key_id,
        created=created,
        expires=expires,
        algorithm=algorithm,
        covered=tuple(signed),
        signature=_b64(params["signature"]),
        pseudo_values=tuple((name, raw) for name, raw in pseudo.items() if raw is not None),
    )


def _cavage_timestamp(raw: str | None, what: str) -> datetime:
    """(created)/(expires) are Unix seconds; some senders add a fraction.

    The pattern is checked first so "1e999999999" cannot make us build a
    billion-digit integer.
    """
    match = _TIMESTAMP.fullmatch(raw or "")
    if match is None:
        raise SignatureError(f"{what} parameter is not a Unix timestamp")
    return timestamp_to_datetime(int(match.group(1)), what)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("signature is not valid base64") from exc


def check_signed_host(lowered: Mapping[str, str], our_host: str, scheme: str) -> None:
    """The signed ``host`` must name this server (``our_host`` is host[:port] of our base URL, as a sender puts
    it in Host): a request signed for another server must not verify here, whatever Host it arrives with.

    The default port may be written or left out; anything else must match exactly (case-insensitive)."""
    signed = limited(lowered, "host")
    if signed is None:
        raise SignatureError("Host header is signed but missing")
    default = DEFAULT_PORTS.get(scheme.lower())
    value = signed.strip().lower()
    if default is not None:
        value = value.removesuffix(f":{default}")
    if value != our_host.lower():
        raise SignatureError(f"signed for host {shown(signed[:200])}, not for this server ({our_host})")


def verify_cavage(
    info: SignedRequestInfo,
    method: str,
    path_and_query: str,
    lowered: Mapping[str, str],
    body: bytes,
    needs_digest: bool,
    public_key: PublicKeyTypes,
    *,
    our_host: str,
    scheme: str,
) -> None:
    """``(request-target)`` is rebuilt from the path we were asked for, so it always names what was requested."""
    check_signed_host(lowered, our_host, scheme)
    digest = signed_digest(lowered, info.covered, "digest", needs_digest=needs_digest, method=method,
                           rule="headers must include digest")
    if digest is not None:
        check_cavage_digest(digest, body)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("cavage signatures require an RSA key")
    values = dict(lowered)
    values.update(info.pseudo_values)
    # Mastodon tries the request-target with its query string, then without.
    targets = [path_and_query]
    if "?" in path_and_query:
        targets.append(path_and_query.partition("?")[0])
    for target in targets:
        values[REQUEST_TARGET] = f"{method.lower()} {target}"
        text = signing_string(list(info.covered), values).encode("utf-8")
        try:
            public_key.verify(info.signature, text, padding.PKCS1v15(), hashes.SHA256())
            return
        except (InvalidSignature, ValueError):
            continue
    raise SignatureError("signature does not verify")
