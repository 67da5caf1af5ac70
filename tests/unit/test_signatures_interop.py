"""Interop: our signatures against independent implementations from PyPI.

* draft-cavage: ``apsig`` (signer and verifier).
* RFC 9421: ``http-message-signatures`` (signer and verifier, several algorithms)
  and ``apsig``'s RFC 9421 signer.
"""

import datetime as dt
import types
from dataclasses import dataclass, field

import pytest
from apsig.draft.sign import Signer as ApsigSigner
from apsig.draft.verify import Verifier as ApsigVerifier
from apsig.exceptions import VerificationFailedError
from apsig.rfc9421 import RFC9421Signer as ApsigRFC9421Signer
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

from fediverse.activitypub.signatures import (
    SignatureError,
    generate_private_key,
    public_key_pem,
    read_signature,
    sign_cavage,
    sign_rfc9421,
    verify_request,
)

KEY_ID = "https://host/users/alice#main-key"
INBOX = "https://remote.example/users/bob/inbox"
BODY = b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Like"}'


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return generate_private_key()


def split_url(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def our_verify(method, url, headers, body, public_key):
    info = read_signature(method, split_url(url), url, headers)
    verify_request(info, method, split_url(url), url, headers, body, public_key)
    return info


# --- draft-cavage with apsig --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", INBOX, BODY),
        ("GET", "https://remote.example/users/bob", b""),
        # apsig signs (request-target) without the query: exercises our fallback
        ("GET", "https://remote.example/users/bob/outbox?page=true", b""),
    ],
)
def test_apsig_cavage_signature_verifies_with_us(key, method, url, body):
    headers = {"Content-Type": "application/activity+json"}
    signed = ApsigSigner(
        headers=headers, private_key=key, method=method, url=url, key_id=KEY_ID, body=body
    ).sign()
    info = our_verify(method, url, signed, body, key.public_key())
    assert info.scheme == "cavage"
    assert info.key_id == KEY_ID


def test_apsig_cavage_tampered_body_rejected_by_us(key):
    signed = ApsigSigner(
        headers={}, private_key=key, method="POST", url=INBOX, key_id=KEY_ID, body=BODY
    ).sign()
    with pytest.raises(SignatureError, match="Digest header does not match body"):
        our_verify("POST", INBOX, signed, BODY + b"!", key.public_key())


def test_apsig_cavage_wrong_key_rejected_by_us(key):
    signed = ApsigSigner(
        headers={},
        private_key=generate_private_key(),
        method="POST",
        url=INBOX,
        key_id=KEY_ID,
        body=BODY,
    ).sign()
    with pytest.raises(SignatureError, match="signature does not verify"):
        our_verify("POST", INBOX, signed, BODY, key.public_key())


@pytest.mark.parametrize(("method", "body"), [("POST", BODY), ("GET", None)])
def test_our_cavage_signature_verifies_with_apsig(key, method, body):
    headers = {"Content-Type": "application/activity+json", "Accept": "application/activity+json"}
    headers |= sign_cavage(method, INBOX, headers, body, KEY_ID, key)
    verifier = ApsigVerifier(
        public_pem=public_key_pem(key), method=method, url=INBOX, headers=headers, body=body
    )
    assert verifier.verify(raise_on_fail=True) == KEY_ID


def test_apsig_rejects_our_signature_on_tampered_body(key):
    """Control: the apsig check above is able to fail."""
    headers = sign_cavage("POST", INBOX, {}, BODY, KEY_ID, key)
    verifier = ApsigVerifier(
        public_pem=public_key_pem(key), method="POST", url=INBOX, headers=headers, body=BODY + b"!"
    )
    with pytest.raises(VerificationFailedError):
        verifier.verify(raise_on_fail=True)


# --- RFC 9421 with http-message-signatures ------------------------------------


@dataclass
class Message:
    """The request shape http-message-signatures reads (method, url, headers)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


ALGORITHMS = {
    "rsa-v1_5-sha256": (algorithms.RSA_V1_5_SHA256, generate_private_key),
    "rsa-pss-sha512": (algorithms.RSA_PSS_SHA512, generate_private_key),
    "ed25519": (algorithms.ED25519, ed25519.Ed25519PrivateKey.generate),
}


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
@pytest.mark.parametrize(
    ("method", "body", "components"),
    [
        ("POST", BODY, ("@method", "@target-uri")),
        ("POST", BODY, ("@method", "@authority", "@target-uri", "content-type")),
        ("GET", None, ("@method", "@target-uri")),
        ("GET", None, ("@method", "@authority", "@path")),
    ],
)
def test_hms_signature_verifies_with_us(alg, method, body, components):
    algorithm, make_key = ALGORITHMS[alg]
    private = make_key()
    message = Message(method, INBOX, {"Content-Type": "application/activity+json"})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: private}),
    )
    signer.sign(message, key_id=KEY_ID, covered_component_ids=components, body=body)
    assert "Signature-Input" in message.headers
    info = our_verify(method, INBOX, message.headers, body, private.public_key())
    assert (info.scheme, info.key_id, info.algorithm) == ("rfc9421", KEY_ID, alg)
    if body is not None:
        assert "content-digest" in info.covered
        with pytest.raises(SignatureError, match="Content-Digest header does not match body"):
            our_verify(method, INBOX, message.headers, body + b"x", private.public_key())


def test_hms_signature_with_wrong_key_rejected_by_us():
    private = generate_private_key()
    message = Message("POST", INBOX)
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: private}),
    ).sign(message, key_id=KEY_ID, covered_component_ids=("@method", "@target-uri"), body=BODY)
    with pytest.raises(SignatureError, match="signature does not verify"):
        our_verify("POST", INBOX, message.headers, BODY, generate_private_key().public_key())


@pytest.mark.parametrize(
    ("alg", "make_key"),
    [
        (algorithms.RSA_V1_5_SHA256, generate_private_key),
        (algorithms.ED25519, ed25519.Ed25519PrivateKey.generate),
    ],
)
@pytest.mark.parametrize(("method", "body"), [("POST", BODY), ("GET", None)])
def test_our_rfc9421_signature_verifies_with_hms(alg, make_key, method, body):
    private = make_key()
    message = Message(method, INBOX + "?page=1", {"Content-Type": "application/activity+json"})
    message.headers |= sign_rfc9421(method, message.url, message.headers, body, KEY_ID, private)
    verifier = HTTPMessageVerifier(
        signature_algorithm=alg,
        key_resolver=MappingKeyResolver(
            public_keys={KEY_ID: private.public_key()}, private_keys={}
        ),
    )
    required = ("@method", "@target-uri") + (("content-digest",) if body is not None else ())
    results = verifier.verify(message, require_components=required, body=body)
    assert len(results) == 1
    assert results[0].parameters["keyid"] == KEY_ID
    if body is not None:
        assert results[0].body == body
        with pytest.raises(InvalidSignature):
            verifier.verify(message, body=body + b"x")


def test_hms_rejects_our_rfc9421_signature_with_wrong_key():
    message = Message("POST", INBOX)
    message.headers |= sign_rfc9421("POST", INBOX, {}, BODY, KEY_ID, generate_private_key())
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={KEY_ID: generate_private_key().public_key()}, private_keys={}
        ),
    )
    with pytest.raises(InvalidSignature):
        verifier.verify(message, body=BODY)


# --- RFC 9421 with apsig's signer ---------------------------------------------


class _FrozenDatetime(dt.datetime):
    """apsig computes `created` twice per signature; freeze it to avoid a
    second boundary between the two making the test flaky."""

    @classmethod
    def now(cls, tz=None):
        return dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC).astimezone(tz)


def test_apsig_rfc9421_get_signature_verifies_with_us(key, monkeypatch):
    import apsig.rfc9421

    monkeypatch.setattr(
        apsig.rfc9421, "dt", types.SimpleNamespace(datetime=_FrozenDatetime, timezone=dt.timezone)
    )
    # apsig covers "@method" "@path" "@authority" plus date/content-type/content-length
    headers = ApsigRFC9421Signer(key, KEY_ID).sign(
        method="GET",
        path="/users/bob",
        host="remote.example",
        headers={
            "Content-Type": "application/activity+json",
            "Date": "Thu, 02 Jan 2025 03:04:05 GMT",
        },
        body=b"",
    )
    url = "https://remote.example/users/bob"
    info = read_signature("GET", "/users/bob", url, headers)
    assert info.covered[:4] == ("date", "@method", "@path", "@authority")
    now = dt.datetime(2025, 1, 2, 3, 5, tzinfo=dt.UTC)
    verify_request(info, "GET", "/users/bob", url, headers, None, key.public_key(), now=now)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_request(info, "GET", "/users/eve", url, headers, None, key.public_key(), now=now)
