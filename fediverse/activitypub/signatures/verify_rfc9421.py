"""Key-free checks and signature verification for RFC 9421 requests,
with Mastodon's requirements (keyid, created, @method, @target-uri)."""

from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from . import structured_fields as sf
from .digest import check_content_digest
from .errors import SignatureError, shown
from .http_parts import limited, signed_digest
from .info import MAX_COVERED, SignedRequestInfo
from .rfc9421 import PSS_SALT_LENGTH, component_values, signature_base
from .time_window import timestamp_to_datetime

RFC9421_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})


def read_rfc9421(lowered: Mapping[str, str]) -> SignedRequestInfo:
    inputs = sf.parse_dictionary(limited(lowered, "signature-input") or "", "Signature-Input")
    signature_field = limited(lowered, "signature")
    if signature_field is None:
        raise SignatureError("Signature header missing (Signature-Input is present)")
    signatures = sf.parse_dictionary(signature_field, "Signature")
    if not inputs:
        raise SignatureError("Signature-Input header is empty")
    # Mastodon handles a single signature; we take the first label, as it would.
    label, (items, params) = next(iter(inputs.items()))
    if not isinstance(items, list):
        raise SignatureError(f"Signature-Input {label} is not an inner list")
    signature = signatures.get(label)
    if signature is None or not isinstance(signature[0], bytes):
        raise SignatureError(f"Signature header has no byte sequence for label {label}")
    covered = _covered_components(items)
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:  # a Token is not a str: keyid must be a String
        raise SignatureError("signature is missing keyid")
    created = params.get("created")
    if type(created) is not int:
        raise SignatureError("signature is missing created")
    expires = params.get("expires")
    if expires is not None and type(expires) is not int:
        raise SignatureError("signature expires parameter is not an integer")
    alg = params.get("alg")
    if alg is not None and (not isinstance(alg, str) or alg not in RFC9421_ALGORITHMS):
        raise SignatureError(f"unsupported signature algorithm {shown(alg)}")
    return SignedRequestInfo(
        scheme="rfc9421",
        key_id=key_id,
        created=timestamp_to_datetime(created, "created"),
        expires=timestamp_to_datetime(expires, "expires") if expires is not None else None,
        algorithm=alg,
        covered=covered,
        signature=signature[0],
        signature_params=sf.serialize_inner_list(items, params),
    )


def _covered_components(items: list[sf.Item]) -> tuple[str, ...]:
    if len(items) > MAX_COVERED:
        raise SignatureError("signature covers too many components")
    names: list[str] = []
    for value, component_params in items:
        if not isinstance(value, str):  # a Token is not a str
            raise SignatureError("covered components must be strings")
        if component_params:
            raise SignatureError(f"component parameters are not supported ({shown(value)})")
        if value != value.lower() or value in names:
            raise SignatureError(f"covered component {shown(value)} is not lower-case or repeated")
        names.append(value)
    if "@method" not in names:
        raise SignatureError("signature must cover @method")
    has_path = "@path" in names or "@request-target" in names
    if "@target-uri" not in names and not ("@authority" in names and has_path):
        raise SignatureError("signature must cover @target-uri")
    return tuple(names)


def verify_rfc9421(
    info: SignedRequestInfo,
    method: str,
    path_and_query: str,
    url: str,
    lowered: Mapping[str, str],
    body: bytes,
    needs_digest: bool,
    public_key: PublicKeyTypes,
) -> None:
    digest = signed_digest(lowered, info.covered, "content-digest", needs_digest=needs_digest, method=method,
                           rule="signature must cover content-digest")
    if digest is not None:
        check_content_digest(digest, body)
    values = component_values(method, url, path_and_query, lowered)
    base = signature_base(list(info.covered), values, info.signature_params)
    alg = info.algorithm or (
        "ed25519" if isinstance(public_key, ed25519.Ed25519PublicKey) else "rsa-v1_5-sha256"
    )
    try:
        if alg == "ed25519" and isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(info.signature, base)
        elif alg == "rsa-v1_5-sha256" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(info.signature, base, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "rsa-pss-sha512" and isinstance(public_key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=PSS_SALT_LENGTH)
            public_key.verify(info.signature, base, pss, hashes.SHA512())
        else:
            raise SignatureError(f"key type does not match algorithm {alg}")
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError("signature does not verify") from exc
