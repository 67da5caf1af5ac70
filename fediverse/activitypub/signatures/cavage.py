"""draft-cavage-http-signatures-12 signing and header parsing, as Mastodon does it.

This is the scheme every fediverse server speaks, so it is what we sign with
first and what we must verify.
"""

import base64
from collections.abc import Mapping
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .digest import digest_header
from .errors import SignatureError, shown
from .http_parts import (
    BODY_METHODS,
    MAX_HEADER_CHARS,
    authority,
    http_date,
    lower_headers,
    path_and_query,
    signed_lines,
)

REQUEST_TARGET = "(request-target)"

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return the headers to add so Mastodon accepts the request.

    Host, Date and Digest are returned only when ``headers`` lacks them (a
    caller-supplied value is signed as is, so merging never duplicates a
    field); Signature is always returned.
    """
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise TypeError("cavage signatures need an RSA private key")
    method = method.upper()
    existing = lower_headers(headers)
    added: dict[str, str] = {}
    values = dict(existing)
    if "host" not in existing:
        values["host"] = added["Host"] = authority(url)
    if "date" not in existing:
        moment = now or datetime.now(UTC)
        values["date"] = added["Date"] = http_date(moment)
    signed = [REQUEST_TARGET, "host", "date"]
    if body is not None or method in BODY_METHODS:
        expected = digest_header(body or b"")
        if "digest" in existing and existing["digest"] != expected:
            raise ValueError("Digest header does not match body")
        if "digest" not in existing:
            values["digest"] = added["Digest"] = expected
        signed.append("digest")
        if "content-type" in existing:
            signed.append("content-type")
    values[REQUEST_TARGET] = f"{method.lower()} {path_and_query(url)}"
    text = signing_string(signed, values)
    raw = private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    signature = base64.b64encode(raw).decode("ascii")
    added["Signature"] = (
        f'keyId="{_quote(key_id)}",algorithm="rsa-sha256",'
        f'headers="{" ".join(signed)}",signature="{signature}"'
    )
    return added


def signing_string(signed: list[str], values: Mapping[str, str]) -> str:
    """``name: value`` lines in the order of ``headers=``; values must exist."""
    return "\n".join(signed_lines(signed, values, "signed header", quoted=False))


def _quote(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("keyId must not contain line breaks")
    return value.replace("\\", "\\\\").replace('"', '\\"')


def parse_signature_header(value: str) -> dict[str, str]:
    """Parse ``key="value",key=token`` pairs like Mastodon's SignatureParser.

    Tolerates the legacy ``Signature `` prefix (from ``Authorization``) and
    token values; refuses duplicate keys so a second keyId cannot smuggle in.
    """
    if len(value) > MAX_HEADER_CHARS:
        raise SignatureError("Signature header is too large")
    text = value.strip()
    if text[:10].lower() == "signature ":
        text = text[10:].lstrip()
    params: dict[str, str] = {}
    pos = 0
    end = len(text)
    while True:
        start = pos
        while pos < end and text[pos] in _TOKEN_CHARS:
            pos += 1
        key = text[start:pos]
        if not key:
            raise SignatureError("malformed Signature header: expected a parameter name")
        pos = _skip_ws(text, pos)
        if pos >= end or text[pos] != "=":
            raise SignatureError(f"malformed Signature header: expected = after {shown(key)}")
        pos = _skip_ws(text, pos + 1)
        if pos < end and text[pos] == '"':
            parsed, pos = _quoted(text, pos + 1)
        else:
            start = pos
            while pos < end and text[pos] in _TOKEN_CHARS:
                pos += 1
            parsed = text[start:pos]
            if not parsed:
                raise SignatureError(f"malformed Signature header: empty value for {shown(key)}")
        if key in params:
            raise SignatureError(f"malformed Signature header: duplicate parameter {shown(key)}")
        params[key] = parsed
        pos = _skip_ws(text, pos)
        if pos >= end:
            return params
        if text[pos] != ",":
            raise SignatureError("malformed Signature header: expected a comma")
        pos = _skip_ws(text, pos + 1)


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _quoted(text: str, pos: int) -> tuple[str, int]:
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
            continue
        if char in "\r\n":
            break
        out.append(char)
        pos += 1
    raise SignatureError("malformed Signature header: unterminated quoted string")
