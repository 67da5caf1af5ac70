"""Unit tests for fediverse.activitypub.signatures (our code against itself and
against hand-built Mastodon-shaped requests)."""

import base64
import hashlib
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from starlette.datastructures import Headers

from fediverse.activitypub.signatures import (
    SignatureError,
    SignedRequestInfo,
    check_digest,
    content_digest_header,
    digest_header,
    generate_private_key,
    load_private_key,
    load_public_key,
    parse_signature_header,
    private_key_to_pem,
    public_key_pem,
    read_signature,
    sign_cavage,
    sign_rfc9421,
    verify_request,
)

KEY_ID = "https://host/users/alice#main-key"
INBOX = "https://remote.example/users/bob/inbox"
BODY = b'{"type":"Follow","actor":"https://host/users/alice"}'
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
EMPTY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return generate_private_key()


def _path(url: str) -> str:
    parsed = httpx.URL(url)
    return parsed.raw_path.decode()


def signed_post(key, url=INBOX, body=BODY, now=NOW, **extra):
    headers = {"Content-Type": "application/activity+json", **extra}
    return {**headers, **sign_cavage("POST", url, headers, body, KEY_ID, key, now=now)}


def check(method, url, headers, body, public_key, now=NOW, **kw):
    """read + verify as the inbox will; returns the info."""
    info = read_signature(method, _path(url), url, headers)
    verify_request(info, method, _path(url), url, headers, body, public_key, now=now, **kw)
    return info


def reason(exc_info) -> str:
    return exc_info.value.reason


def mastodon_sign(key, method, url, headers, signed, *, algorithm="rsa-sha256", extra=""):
    """Build a Signature header the way Mastodon's HttpSignatureDraft#sign does."""
    values = {k.lower(): v for k, v in headers.items()}
    values["(request-target)"] = f"{method.lower()} {_path(url)}"
    text = "\n".join(f"{name}: {values[name]}" for name in signed)
    raw = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    alg = f'algorithm="{algorithm}",' if algorithm else ""
    sig = base64.b64encode(raw).decode()
    return f'keyId="{KEY_ID}",{alg}headers="{" ".join(signed)}",{extra}signature="{sig}"'


# --- keys -------------------------------------------------------------------


def test_generated_key_is_rsa_2048_e65537(key):
    assert key.key_size == 2048
    assert key.public_key().public_numbers().e == 65537


def test_pem_round_trip_and_spki_format(key):
    pem = private_key_to_pem(key)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8, not PKCS#1
    loaded = load_private_key(pem)
    assert loaded.private_numbers() == key.private_numbers()
    assert load_private_key(pem) is loaded  # cached
    pub = public_key_pem(key)
    assert pub.startswith("-----BEGIN PUBLIC KEY-----")
    assert load_public_key(pub).public_numbers() == key.public_key().public_numbers()
    assert load_public_key(pub) is load_public_key(pub)


@pytest.mark.parametrize(
    "pem",
    ["", "garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "x" * 100_000],
)
def test_load_public_key_rejects_garbage(pem):
    with pytest.raises(SignatureError):
        load_public_key(pem)


def test_load_public_key_accepts_ed25519_rejects_ec():
    ed = ed25519.Ed25519PrivateKey.generate()
    assert isinstance(load_public_key(public_key_pem(ed)), ed25519.Ed25519PublicKey)
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(SignatureError, match="unsupported public key type"):
        load_public_key(ec_pem)


def test_load_private_key_refuses_non_rsa():
    with pytest.raises(ValueError):
        load_private_key(private_key_to_pem(ed25519.Ed25519PrivateKey.generate()))


# --- digests ----------------------------------------------------------------


def test_digest_header_values():
    assert digest_header(b"") == f"SHA-256={EMPTY_SHA256}"
    assert content_digest_header(b"") == f"sha-256=:{EMPTY_SHA256}:"
    expected = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert digest_header(BODY) == f"SHA-256={expected}"


@pytest.mark.parametrize(
    "value",
    [
        digest_header(BODY),
        digest_header(BODY).replace("SHA-256", "sha-256"),
        "SHA-512="
        + base64.b64encode(hashlib.sha512(b"x").digest()).decode()
        + ", "
        + digest_header(BODY),
    ],
)
def test_check_digest_accepts(value):
    check_digest({"DIGEST": value}, BODY)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (digest_header(BODY + b" "), "Digest header does not match body"),
        ("SHA-512=abc", "must include SHA-256"),
        ("SHA-256=***", "not valid base64"),
        ("SHA-256=" + base64.b64encode(b"short").decode(), "not a 32-byte digest"),
    ],
)
def test_check_digest_rejects(value, expected):
    with pytest.raises(SignatureError, match=expected):
        check_digest({"Digest": value}, BODY)


def test_check_content_digest():
    check_digest({"content-digest": content_digest_header(BODY)}, BODY)
    both = (
        f"sha-512=:{base64.b64encode(hashlib.sha512(BODY).digest()).decode()}:, "
        + content_digest_header(BODY)
    )
    check_digest({"Content-Digest": both}, BODY)
    with pytest.raises(SignatureError, match="Content-Digest header does not match body"):
        check_digest({"Content-Digest": content_digest_header(b"other")}, BODY)
    with pytest.raises(SignatureError, match="malformed Content-Digest"):
        check_digest({"Content-Digest": "sha-256=:not base64!:"}, BODY)
    with pytest.raises(SignatureError, match="must include sha-256 or sha-512"):
        check_digest({"Content-Digest": "md5=:AAAA:"}, BODY)
    with pytest.raises(SignatureError, match="Digest header missing"):
        check_digest({}, BODY)


# --- parse_signature_header -------------------------------------------------


def test_parse_signature_header_forms():
    expected = {"keyId": "k", "algorithm": "rsa-sha256", "headers": "date", "signature": "c2ln"}
    plain = 'keyId="k",algorithm="rsa-sha256",headers="date",signature="c2ln"'
    assert parse_signature_header(plain) == expected
    assert parse_signature_header("Signature " + plain) == expected
    tokens = 'keyId=k, algorithm=rsa-sha256 ,headers="date", signature="c2ln"'
    assert parse_signature_header(tokens) == expected
    assert parse_signature_header(r'keyId="a\"b\\c"') == {"keyId": 'a"b\\c'}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('keyId="a",keyId="b"', "duplicate parameter 'keyId'"),
        ('keyId="a",', "expected a parameter name"),
        ('keyId="a', "unterminated"),
        ("keyId", "expected ="),
        ('keyId="a" signature="b"', "expected a comma"),
        ("", "expected a parameter name"),
        ("x" * 20_000, "too large"),
    ],
)
def test_parse_signature_header_rejects(value, expected):
    with pytest.raises(SignatureError, match=expected):
        parse_signature_header(value)


# --- signing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://remote.example/inbox",
        "https://remote.example:443/inbox",
        "https://Remote.Example:8443/inbox?page=1",
        "http://remote.example:80/inbox",
        "http://remote.example:8080/inbox",
        "http://[::1]:8080/inbox",
    ],
)
def test_host_header_matches_httpx(key, url):
    added = sign_cavage("GET", url, {}, None, KEY_ID, key, now=NOW)
    assert added["Host"] == httpx.Request("GET", url).headers["host"]
    assert "Digest" not in added


def test_sign_cavage_post_shape(key):
    added = sign_cavage(
        "POST", INBOX, {"Content-Type": "application/activity+json"}, BODY, KEY_ID, key, now=NOW
    )
    assert set(added) == {"Host", "Date", "Digest", "Signature"}
    assert added["Date"] == "Thu, 02 Jan 2025 03:04:05 GMT"
    assert added["Digest"] == digest_header(BODY)
    params = parse_signature_header(added["Signature"])
    assert params["headers"] == "(request-target) host date digest content-type"
    assert params["algorithm"] == "rsa-sha256"
    no_ct = parse_signature_header(sign_cavage("POST", INBOX, {}, BODY, KEY_ID, key)["Signature"])
    assert no_ct["headers"] == "(request-target) host date digest"
    get = parse_signature_header(sign_cavage("GET", INBOX, {}, None, KEY_ID, key)["Signature"])
    assert get["headers"] == "(request-target) host date"


def test_sign_cavage_keeps_caller_date_and_host(key):
    headers = {"date": "Thu, 02 Jan 2025 03:00:00 GMT", "HOST": "remote.example"}
    added = sign_cavage("GET", INBOX, headers, None, KEY_ID, key)
    assert set(added) == {"Signature"}
    info = check("GET", INBOX, {**headers, **added}, None, key.public_key())
    assert info.created == datetime(2025, 1, 2, 3, 0, tzinfo=UTC)


def test_sign_cavage_refuses_wrong_caller_digest(key):
    with pytest.raises(ValueError, match="Digest"):
        sign_cavage("POST", INBOX, {"Digest": digest_header(b"x")}, BODY, KEY_ID, key)


def test_real_mastodon_shaped_header(key):
    """The exact header shape Mastodon logs, produced by our signer and verified by us."""
    headers = signed_post(key)
    pattern = (
        r'keyId="https://host/users/alice#main-key",algorithm="rsa-sha256",'
        r'headers="\(request-target\) host date digest content-type",'
        r'signature="[A-Za-z0-9+/]+={0,2}"'
    )
    assert re.fullmatch(pattern, headers["Signature"])
    info = check("POST", INBOX, headers, BODY, key.public_key())
    assert info == SignedRequestInfo(
        scheme="cavage",
        key_id=KEY_ID,
        created=NOW,
        algorithm="rsa-sha256",
        covered=("(request-target)", "host", "date", "digest", "content-type"),
        signature=info.signature,
    )
    assert len(info.signature) == 256


def test_verifies_mastodon_delivery_worker_order(key):
    """Mastodon puts (request-target) last: "host date content-type digest (request-target)"."""
    headers = {
        "Host": "remote.example",
        "Date": "Thu, 02 Jan 2025 03:04:05 GMT",
        "Content-Type": "application/activity+json",
        "Digest": digest_header(BODY),
        "User-Agent": "Mastodon/4.3.0",
    }
    order = ["host", "date", "content-type", "digest", "(request-target)"]
    headers["Signature"] = mastodon_sign(key, "POST", INBOX, headers, order)
    info = check("POST", INBOX, headers, BODY, key.public_key())
    assert info.covered == tuple(order)


# --- cavage verification: rules and negatives --------------------------------


def test_case_insensitive_headers_and_starlette_mapping(key):
    headers = {k.upper(): v for k, v in signed_post(key).items()}
    check("POST", INBOX, headers, BODY, key.public_key())
    starlette = Headers(raw=[(k.lower().encode(), v.encode()) for k, v in signed_post(key).items()])
    check("POST", INBOX, starlette, BODY, key.public_key())


def test_signature_in_authorization_header(key):
    headers = signed_post(key)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    check("POST", INBOX, headers, BODY, key.public_key())


def test_forged_signature(key):
    headers = signed_post(key)
    params = parse_signature_header(headers["Signature"])
    raw = bytearray(base64.b64decode(params["signature"]))
    raw[10] ^= 0x01
    headers["Signature"] = headers["Signature"].replace(
        params["signature"], base64.b64encode(raw).decode()
    )
    with pytest.raises(SignatureError) as exc:
        check("POST", INBOX, headers, BODY, key.public_key())
    assert reason(exc) == "signature does not verify"


def test_body_tampered_after_signing(key):
    headers = signed_post(key)
    with pytest.raises(SignatureError) as exc:
        check("POST", INBOX, headers, BODY.replace(b"Follow", b"Delete"), key.public_key())
    assert reason(exc) == "Digest header does not match body"


def test_digest_header_replaced_with_matching_one_breaks_signature(key):
    headers = signed_post(key)
    tampered = BODY.replace(b"Follow", b"Delete")
    headers["Digest"] = digest_header(tampered)
    with pytest.raises(SignatureError, match="signature does not verify"):
        check("POST", INBOX, headers, tampered, key.public_key())


def test_post_with_unsigned_digest(key):
    headers = {
        "Host": "remote.example",
        "Date": "Thu, 02 Jan 2025 03:04:05 GMT",
        "Digest": digest_header(BODY),
    }
    headers["Signature"] = mastodon_sign(
        key, "POST", INBOX, headers, ["(request-target)", "host", "date"]
    )
    with pytest.raises(SignatureError) as exc:
        check("POST", INBOX, headers, BODY, key.public_key())
    assert reason(exc) == "headers must include digest for POST"
    # the caller may opt out; the signature itself is fine
    check("POST", INBOX, headers, BODY, key.public_key(), require_digest_for_body=False)


def test_signed_digest_header_missing(key):
    headers = signed_post(key)
    del headers["Digest"]
    with pytest.raises(SignatureError, match="Digest header is signed but missing"):
        check("POST", INBOX, headers, BODY, key.public_key())


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        (timedelta(hours=-2), False),
        (timedelta(minutes=-66), False),
        (timedelta(minutes=-64), True),
        (timedelta(minutes=59), True),
        (timedelta(minutes=61), False),
        (timedelta(hours=2), False),
    ],
)
def test_date_window(key, offset, ok):
    headers = signed_post(key, now=NOW + offset)
    if ok:
        check("POST", INBOX, headers, BODY, key.public_key(), now=NOW)
        return
    with pytest.raises(SignatureError) as exc:
        check("POST", INBOX, headers, BODY, key.public_key(), now=NOW)
    assert reason(exc).startswith("Date outside the accepted window")
    assert ("future" in reason(exc)) == (offset > timedelta(0))


def test_expired_date_message(key):
    headers = signed_post(key, now=NOW - timedelta(hours=2))
    with pytest.raises(SignatureError, match="expired"):
        check("POST", INBOX, headers, BODY, key.public_key(), now=NOW)


def test_missing_key_id(key):
    headers = signed_post(key)
    headers["Signature"] = headers["Signature"].replace(f'keyId="{KEY_ID}",', "")
    with pytest.raises(SignatureError) as exc:
        read_signature("POST", "/users/bob/inbox", INBOX, headers)
    assert reason(exc) == "signature is missing keyId"


def test_duplicate_params(key):
    headers = signed_post(key)
    headers["Signature"] = 'keyId="https://evil/actor#key",' + headers["Signature"]
    with pytest.raises(SignatureError, match="duplicate parameter 'keyId'"):
        read_signature("POST", "/users/bob/inbox", INBOX, headers)


def test_wrong_key(key, other_key):
    with pytest.raises(SignatureError) as exc:
        check("POST", INBOX, signed_post(key), BODY, other_key.public_key())
    assert reason(exc) == "signature does not verify"


def test_public_key_may_be_pem(key):
    check("POST", INBOX, signed_post(key), BODY, public_key_pem(key))


def test_hs2019_is_the_default_algorithm(key):
    headers = signed_post(key)
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256",', "")
    assert "algorithm" not in parse_signature_header(headers["Signature"])
    info = check("POST", INBOX, headers, BODY, key.public_key())
    assert info.algorithm == "hs2019"


def test_hs2019_with_created_and_expires(key):
    created = int((NOW - timedelta(hours=3)).timestamp())
    expires = int((NOW + timedelta(hours=1)).timestamp())
    headers = {"Host": "remote.example", "Digest": digest_header(BODY)}
    values = {
        **{k.lower(): v for k, v in headers.items()},
        "(request-target)": "post /users/bob/inbox",
        "(created)": str(created),
        "(expires)": str(expires),
    }
    order = ["(request-target)", "host", "(created)", "(expires)", "digest"]
    text = "\n".join(f"{n}: {values[n]}" for n in order).encode()
    sig = base64.b64encode(key.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="hs2019",created={created},expires={expires},'
        f'headers="{" ".join(order)}",signature="{sig}"'
    )
    # 3 hours old but explicitly valid for 4 hours: accepted (no Date header at all)
    info = check("POST", INBOX, headers, BODY, key.public_key())
    assert info.created == NOW - timedelta(hours=3)
    assert info.expires == NOW + timedelta(hours=1)
    with pytest.raises(SignatureError, match="expired"):
        check(
            "POST", INBOX, headers, BODY, key.public_key(), now=NOW + timedelta(hours=2, seconds=1)
        )
    # the same pseudo-headers are refused with rsa-sha256
    headers["Signature"] = headers["Signature"].replace("hs2019", "rsa-sha256")
    with pytest.raises(SignatureError, match=r"only be signed with hs2019"):
        read_signature("POST", "/users/bob/inbox", INBOX, headers)


def test_unsigned_created_param_cannot_extend_window(key):
    """A replayer may append created= to an old rsa-sha256/hs2019 header; it is ignored."""
    headers = signed_post(key, now=NOW - timedelta(hours=2))
    fresh = int(NOW.timestamp())
    headers["Signature"] = (
        headers["Signature"].replace("rsa-sha256", "hs2019") + f",created={fresh}"
    )
    with pytest.raises(SignatureError, match="expired"):
        check("POST", INBOX, headers, BODY, key.public_key())


def test_unsupported_algorithm(key):
    headers = signed_post(key)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "rsa-sha512")
    with pytest.raises(SignatureError, match="unsupported signature algorithm 'rsa-sha512'"):
        read_signature("POST", "/users/bob/inbox", INBOX, headers)


def test_query_string_fallback(key):
    """Signed without the query (as some servers do), received with it."""
    url = INBOX + "?page=true"
    headers = {"Host": "remote.example", "Date": "Thu, 02 Jan 2025 03:04:05 GMT"}
    headers["Signature"] = mastodon_sign(
        key, "GET", INBOX, headers, ["(request-target)", "host", "date"]
    )
    check("GET", url, headers, None, key.public_key())
    # and signed with the query verifies directly
    signed = sign_cavage("GET", url, {}, None, KEY_ID, key, now=NOW)
    check("GET", url, signed, None, key.public_key())
    # but a different path does not
    with pytest.raises(SignatureError, match="signature does not verify"):
        check(
            "GET",
            "https://remote.example/users/eve/inbox?page=true",
            headers,
            None,
            key.public_key(),
        )


@pytest.mark.parametrize(
    ("method", "signed", "expected"),
    [
        ("GET", ["(request-target)", "date"], "headers must include host"),
        ("POST", ["(request-target)", "date"], "headers must include host"),
        ("GET", ["(request-target)", "host"], "headers must include date or (created)"),
        ("GET", ["host", "date"], "headers must include (request-target) or digest"),
    ],
)
def test_strength_rules(key, method, signed, expected):
    headers = {"Host": "remote.example", "Date": "Thu, 02 Jan 2025 03:04:05 GMT"}
    headers["Signature"] = mastodon_sign(key, method, INBOX, headers, signed)
    with pytest.raises(SignatureError) as exc:
        read_signature(method, "/users/bob/inbox", INBOX, headers)
    assert reason(exc) == expected


def test_missing_signature():
    with pytest.raises(SignatureError) as exc:
        read_signature("POST", "/inbox", INBOX, {"Date": "x"})
    assert reason(exc) == "missing signature"


def test_cavage_refuses_non_rsa_key(key):
    with pytest.raises(SignatureError, match="require an RSA key"):
        check(
            "POST", INBOX, signed_post(key), BODY, ed25519.Ed25519PrivateKey.generate().public_key()
        )


@pytest.mark.parametrize("sig", ["!!!", "abc", "", "A" * 3])
def test_garbage_base64_signature(key, sig):
    headers = signed_post(key)
    value = parse_signature_header(headers["Signature"])["signature"]
    headers["Signature"] = headers["Signature"].replace(value, sig)
    with pytest.raises(SignatureError):
        check("POST", INBOX, headers, BODY, key.public_key())


def test_bad_date_header(key):
    headers = signed_post(key)
    headers["Date"] = "yesterday"
    with pytest.raises(SignatureError, match="Date header is not a valid HTTP date"):
        read_signature("POST", "/users/bob/inbox", INBOX, headers)


# --- RFC 9421 -----------------------------------------------------------------


def rfc_post(key, url=INBOX, body=BODY, now=NOW):
    headers = {"Content-Type": "application/activity+json"}
    return {**headers, **sign_rfc9421("POST", url, headers, body, KEY_ID, key, now=now)}


def test_rfc9421_shape_and_round_trip(key):
    headers = rfc_post(key)
    assert headers["Content-Digest"] == content_digest_header(BODY)
    assert headers["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest");created={int(NOW.timestamp())};'
        f'keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert re.fullmatch(r"sig1=:[A-Za-z0-9+/]+={0,2}:", headers["Signature"])
    info = check("POST", INBOX, headers, BODY, key.public_key())
    assert (info.scheme, info.key_id, info.created) == ("rfc9421", KEY_ID, NOW)
    get = sign_rfc9421("GET", INBOX, {}, None, KEY_ID, key, now=NOW)
    assert set(get) == {"Signature-Input", "Signature"}
    check("GET", INBOX, get, None, key.public_key())


def test_rfc9421_preferred_when_signature_input_present(key):
    headers = rfc_post(key)
    assert read_signature("POST", "/users/bob/inbox", INBOX, headers).scheme == "rfc9421"


def test_rfc9421_ed25519_round_trip():
    ed = ed25519.Ed25519PrivateKey.generate()
    headers = sign_rfc9421("POST", INBOX, {}, BODY, KEY_ID, ed, now=NOW)
    assert 'alg="ed25519"' in headers["Signature-Input"]
    check("POST", INBOX, headers, BODY, ed.public_key())
    with pytest.raises(SignatureError, match="key type does not match algorithm ed25519"):
        check("POST", INBOX, headers, BODY, generate_private_key().public_key())


def test_rfc9421_rsa_pss_sha512(key):
    params = (
        f'("@method" "@target-uri");created={int(NOW.timestamp())};'
        f'keyid="{KEY_ID}";alg="rsa-pss-sha512"'
    )
    base = f'"@method": GET\n"@target-uri": {INBOX}\n"@signature-params": {params}'.encode()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    raw = key.sign(base, pss, hashes.SHA512())
    headers = {
        "Signature-Input": f"x={params}",
        "Signature": f"x=:{base64.b64encode(raw).decode()}:",
    }
    check("GET", INBOX, headers, None, key.public_key())


def test_rfc9421_body_tampered(key):
    with pytest.raises(SignatureError) as exc:
        check("POST", INBOX, rfc_post(key), BODY + b" ", key.public_key())
    assert reason(exc) == "Content-Digest header does not match body"


def test_rfc9421_forged_and_wrong_key(key, other_key):
    headers = rfc_post(key)
    with pytest.raises(SignatureError, match="signature does not verify"):
        check("POST", INBOX, headers, BODY, other_key.public_key())
    headers["Signature"] = "sig1=:" + base64.b64encode(b"\x00" * 256).decode() + ":"
    with pytest.raises(SignatureError, match="signature does not verify"):
        check("POST", INBOX, headers, BODY, key.public_key())


def test_rfc9421_url_mismatch(key):
    headers = rfc_post(key)
    with pytest.raises(SignatureError, match="signature does not verify"):
        check("POST", "https://remote.example/users/eve/inbox", headers, BODY, key.public_key())


def test_rfc9421_post_must_cover_content_digest(key):
    headers = sign_rfc9421("GET", INBOX, {}, None, KEY_ID, key, now=NOW)
    with pytest.raises(SignatureError) as exc:
        check("POST", INBOX, headers, BODY, key.public_key())
    assert reason(exc) == "signature must cover content-digest for POST"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda v: v.replace(f';keyid="{KEY_ID}"', ""), "signature is missing keyid"),
        (lambda v: re.sub(r";created=\d+", "", v), "signature is missing created"),
        (lambda v: v.replace('"@method" ', ""), "signature must cover @method"),
        (lambda v: v.replace('"@target-uri" ', ""), "signature must cover @target-uri"),
        (lambda v: v.replace("rsa-v1_5-sha256", "hmac-sha256"), "unsupported signature algorithm"),
        (
            lambda v: v.replace('"@method"', '"@method";req'),
            "component parameters are not supported",
        ),
        (lambda v: v.replace('"@method"', '"@method" "@method"'), "repeated"),
        (lambda v: v + ", " + v, "duplicate key 'sig1'"),
        (lambda v: v.replace("sig1=(", "sig1=("), None),
    ],
)
def test_rfc9421_read_rules(key, edit, expected):
    headers = rfc_post(key)
    headers["Signature-Input"] = edit(headers["Signature-Input"])
    if expected is None:
        read_signature("POST", "/users/bob/inbox", INBOX, headers)
        return
    with pytest.raises(SignatureError, match=expected):
        read_signature("POST", "/users/bob/inbox", INBOX, headers)


def test_rfc9421_time_window(key):
    with pytest.raises(SignatureError, match="expired"):
        check("POST", INBOX, rfc_post(key, now=NOW - timedelta(hours=2)), BODY, key.public_key())
    with pytest.raises(SignatureError, match="future"):
        check("POST", INBOX, rfc_post(key, now=NOW + timedelta(hours=2)), BODY, key.public_key())


def test_rfc9421_signature_header_missing(key):
    headers = rfc_post(key)
    del headers["Signature"]
    with pytest.raises(SignatureError, match="Signature header missing"):
        read_signature("POST", "/users/bob/inbox", INBOX, headers)


# --- hostile input never raises anything but SignatureError -------------------


def _mutations(rng: random.Random, text: str):
    alphabet = '"=,;:() \\\t\n*?-0123456789abcAZ+/@\x00é'
    for _ in range(60):
        chars = list(text)
        for _ in range(rng.randint(1, 6)):
            op = rng.random()
            pos = rng.randrange(len(chars) + 1)
            if op < 0.4 and chars:
                del chars[min(pos, len(chars) - 1)]
            elif op < 0.8:
                chars.insert(pos, rng.choice(alphabet))
            else:
                chars = chars[:pos]
        yield "".join(chars)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_fuzzed_headers_only_raise_signature_error(key, scheme):
    rng = random.Random(1234)
    base = signed_post(key) if scheme == "cavage" else rfc_post(key)
    fields = (
        ["Signature", "Digest", "Date"]
        if scheme == "cavage"
        else ["Signature-Input", "Signature", "Content-Digest"]
    )
    outcomes = set()
    for field in fields:
        for mutated in _mutations(rng, base[field]):
            headers = {**base, field: mutated}
            try:
                check("POST", INBOX, headers, BODY, key.public_key())
                outcomes.add("ok")
            except SignatureError as exc:
                assert exc.reason
                outcomes.add("error")
    assert "error" in outcomes


@pytest.mark.parametrize(
    "headers",
    [
        {"Signature": "x" * 1_000_000},
        {"Signature-Input": "sig1=(" + '"a" ' * 100_000 + ")", "Signature": "sig1=:AA==:"},
        {"Signature": 'keyId="k",headers="' + "date " * 3000 + '",signature="AA=="', "Date": "x"},
        {
            "Signature": 'keyId="k",algorithm="hs2019",headers="(created) (request-target) host",'
            'created=1e999999999,signature="AA=="',
            "Host": "h",
        },
        {
            "Signature-Input": 'sig1=("@method" "@target-uri");created=999999999999999;keyid="k"',
            "Signature": "sig1=:AA==:",
        },
        {
            "Signature-Input": 'sig1=("@method" "@target-uri");created=1;keyid=k',
            "Signature": "sig1=:AA==:",
        },
        {"Signature-Input": "sig1=:AA==:", "Signature": "sig1=:AA==:"},
        {"Signature-Input": "", "Signature": ""},
        {"Signature": "Signature "},
    ],
)
def test_hostile_headers(headers):
    with pytest.raises(SignatureError):
        info = read_signature("POST", "/inbox", "https://h/inbox", headers)
        verify_request(
            info,
            "POST",
            "/inbox",
            "https://h/inbox",
            headers,
            b"",
            generate_private_key().public_key(),
        )


def test_hostile_url_is_signature_error(key):
    headers = rfc_post(key)
    with pytest.raises(SignatureError, match="request URL is malformed"):
        check(
            "POST", "https://remote.example:99999/users/bob/inbox", headers, BODY, key.public_key()
        )


def test_module_is_pure():
    code = (
        "import sys, fediverse.activitypub.signatures;"
        "bad = {'httpx', 'sqlalchemy', 'starlette', 'requests', 'aiohttp'} & set(sys.modules);"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
