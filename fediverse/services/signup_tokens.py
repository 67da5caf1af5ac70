"""The sign-up form's signed stamp: when the form was issued (minimum fill time) and a proof-of-work challenge.

The stamp is `<issued unix time>.<random>.<HMAC>` under a key only the server knows, so a bot can neither
back-date it to skip the fill time nor invent its own easy challenge. Proof of work (as Mastodon's and
GoToSocial's opponents of captchas suggest, e.g. mCaptcha/Anubis): find a nonce such that
sha256(stamp + nonce) starts with `bits` zero bits; checking costs one hash, finding ~2**bits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_AGE_SECONDS = 2 * 3600  # an older form must be reloaded (bounds replay of a solved challenge)
MAX_STAMP_CHARS = 200
MAX_NONCE_CHARS = 64


def issue(key: bytes, now: float) -> str:
    body = f"{int(now)}.{secrets.token_urlsafe(12)}"
    return f"{body}.{_mac(key, body)}"


def problem(key: bytes, stamp: str, now: float, min_seconds: int) -> str | None:
    """Why this stamp is not acceptable (a sentence for the person), or None when it is."""
    body, _, mac = stamp.rpartition(".")
    issued_text = body.partition(".")[0]
    if (not body or len(stamp) > MAX_STAMP_CHARS or not issued_text.isdigit()
            or not hmac.compare_digest(mac.encode(), _mac(key, body).encode())):
        return "The form could not be checked (its timestamp is missing or was changed). Reload the page and try again."
    age = now - int(issued_text)
    if age < min_seconds:
        return (f"The form was sent too quickly ({max(0, int(age))} s); people need at least {min_seconds} seconds. "
                "Wait a moment and send it again.")
    if age > MAX_AGE_SECONDS:
        return "The form is too old. Reload the page and fill it in again."
    return None


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def pow_digest(stamp: str, nonce: str) -> bytes:
    return hashlib.sha256((stamp + nonce).encode()).digest()


def pow_ok(stamp: str, nonce: str, bits: int) -> bool:
    """True when `nonce` solves the stamp's challenge at `bits` (always true when proof of work is off)."""
    if bits <= 0:
        return True
    if not nonce or len(nonce) > MAX_NONCE_CHARS or not nonce.isascii():
        return False
    return leading_zero_bits(pow_digest(stamp, nonce)) >= bits


def solve(stamp: str, bits: int) -> str:
    """Find a nonce (what the browser script does; used by tests and the CLI-minded)."""
    n = 0
    while not pow_ok(stamp, str(n), bits):
        n += 1
    return str(n)


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
