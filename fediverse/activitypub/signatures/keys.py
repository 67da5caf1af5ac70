"""Key generation, PEM encoding and cached PEM loading.

Loading a PEM costs tens of milliseconds, and the same few actor keys sign
most of our traffic, so both loaders are memoised.
"""

from functools import lru_cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    PrivateKeyTypes,
    PublicKeyTypes,
)

from .errors import SignatureError

# Smaller keys are forgeable; bigger ones make verification a DoS vector.
MIN_RSA_BITS = 1024
MAX_RSA_BITS = 8192
# A 8192-bit RSA public key PEM is under 2 KiB; anything far larger is hostile.
MAX_PEM_CHARS = 16_384

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey


def generate_private_key() -> rsa.RSAPrivateKey:
    """Make an RSA-2048 key, the size and exponent Mastodon itself uses."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_to_pem(key: PrivateKeyTypes) -> str:
    """Serialise a private key as unencrypted PKCS#8 PEM for storage."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: PrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM that goes into an actor's ``publicKeyPem``."""
    return (
        key.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )


@lru_cache(maxsize=256)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Load one of our own RSA signing keys (raises ValueError on bad config)."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("expected an RSA private key")
    return key


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> PublicKeyTypes:
    """Load a remote actor's public key, turning any garbage into SignatureError.

    Remote documents are hostile input: only RSA of a sane size and Ed25519
    (usable with RFC 9421) are accepted.
    """
    if not isinstance(pem, str) or len(pem) > MAX_PEM_CHARS:
        raise SignatureError("public key PEM is missing or too large")
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm) as exc:
        raise SignatureError("public key PEM could not be parsed") from exc
    if isinstance(key, rsa.RSAPublicKey):
        if not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
            raise SignatureError(f"RSA key size {key.key_size} is not accepted")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise SignatureError(f"unsupported public key type {type(key).__name__}")
