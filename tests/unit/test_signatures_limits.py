"""The edges of the signature rules: each limit accepts its last good value and refuses the first bad one.

Written from the survivors of mutation testing (scripts/mutation.sh signatures): every test here names a
boundary or a rule a refactor could move without any other test noticing.
"""

import base64
import hashlib
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fediverse.activitypub.signatures import (
    SignatureError,
    digest_header,
    generate_private_key,
    load_public_key,
    parse_signature_header,
    public_key_pem,
    read_signature,
    sign_cavage,
    sign_rfc9421,
    verify_request,
)
from fediverse.activitypub.signatures import structured_fields as sf
from fediverse.activitypub.signatures.keys import MAX_PEM_CHARS

KEY_ID = "https://host/users/alice#main-key"
INBOX = "https://remote.example/users/bob/inbox"
PATH = "/users/bob/inbox"
BODY = b'{"type":"Follow","actor":"https://host/users/alice"}'
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return generate_private_key()


def check(method, url, headers, body, public_key, now=NOW, path=PATH, **kw):
    """read + verify as the inbox does; returns the info."""
    info = read_signature(method, path, url, headers)
    verify_request(info, method, path, url, headers, body, public_key, now=now, **kw)
    return info


def signed_post(key, now=NOW, **extra):
    headers = {"Content-Type": "application/activity+json", **extra}
    return {**headers, **sign_cavage("POST", INBOX, headers, BODY, KEY_ID, key, now=now)}


# --- keys -------------------------------------------------------------------------------------------------


def _public_pem_of_size(bits: int) -> str:
    """An RSA public key whose modulus has exactly ``bits`` bits (no private half needed to test the size rule)."""
    n = random.Random(bits).getrandbits(bits) | (1 << (bits - 1)) | 1
    public = rsa.RSAPublicNumbers(65537, n).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.mark.parametrize(("bits", "accepted"), [(1023, False), (1024, True), (8192, True), (8193, False)])
def test_rsa_key_sizes_from_1024_to_8192_bits_are_accepted(bits, accepted):
    pem = _public_pem_of_size(bits)
    if accepted:
        assert load_public_key(pem).key_size == bits
        return
    with pytest.raises(SignatureError, match=f"RSA key size {bits} is not accepted"):
        load_public_key(pem)


def test_a_pem_padded_to_the_size_limit_loads_and_one_character_more_is_refused(key):
    pem = public_key_pem(key)
    at_limit = pem + " " * (16 * 1024 - len(pem))  # the documented limit, 16 KiB
    assert len(at_limit) == MAX_PEM_CHARS
    assert load_public_key(at_limit).public_numbers() == key.public_key().public_numbers()
    with pytest.raises(SignatureError, match="missing or too large"):
        load_public_key(at_limit + " ")


# --- cavage: signing and reading --------------------------------------------------------------------------


def test_a_caller_digest_that_matches_the_body_is_signed_as_is(key):
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert digest == digest_header(BODY) and digest is not digest_header(BODY)  # equal, not the same object
    headers = {"Digest": digest}
    added = sign_cavage("POST", INBOX, headers, BODY, KEY_ID, key, now=NOW)
    assert "Digest" not in added
    info = check("POST", INBOX, {**headers, **added}, BODY, key.public_key())
    assert "digest" in info.covered


@pytest.mark.parametrize(
    "date", ["Thu, 02 Jan 2025 04:04:05 +0100", "Wed, 01 Jan 2025 22:04:05 -0500", "Thu, 02 Jan 2025 03:04:05 -0000"]
)
def test_a_date_with_a_zone_offset_is_read_as_that_instant(key, date):
    headers = signed_post(key, Date=date)
    info = check("POST", INBOX, headers, BODY, key.public_key())
    assert info.created == NOW


def test_the_signature_bytes_stay_out_of_the_info_repr(key):
    info = check("POST", INBOX, signed_post(key), BODY, key.public_key())
    assert "signature=" not in repr(info)
    assert KEY_ID in repr(info)


def test_an_escaped_quote_reads_as_a_quote_wherever_it_stands():
    assert parse_signature_header('k="\\"a"') == {"k": '"a'}
    assert parse_signature_header('kk="\\"a"') == {"kk": '"a'}


def test_token_values_may_start_with_any_token_character():
    assert parse_signature_header("a=!tok,b=#x,c=~y") == {"a": "!tok", "b": "#x", "c": "~y"}


@pytest.mark.parametrize("authorization", ["Token abc", "Bearer abc", "Zzz", "signature"])
def test_an_authorization_that_is_no_signature_means_no_signature(authorization):
    with pytest.raises(SignatureError) as exc:
        read_signature("POST", PATH, INBOX, {"Authorization": authorization})
    assert exc.value.reason == "missing signature"


def test_every_cut_of_a_long_signature_input_is_read_or_refused_cleanly():
    """The structured-field parser past 256 characters (no small cached integers): cut anywhere, or left with
    an open string, escape, byte sequence or inner list, it gives a SignatureError and never an IndexError."""
    value = (
        'sig1=("@method" "@target-uri" "content-digest" "content-type" "date" "host" "digest" "@path" "@query" "@authority");'
        f'created=1735787045;expires=1735790645;keyid="{KEY_ID}";alg="rsa-v1_5-sha256";'
        'nonce=:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=:;tag="app \\\\ \\"x\\"";ratio=12.5;flag;tok=a/b:c'
    )
    assert len(value) > 300
    outcomes = set()
    for end in range(len(value) + 1):
        for text in (value[:end], value[:end] + "\\", value[:end] + '"', value[:end] + ":", value[:end] + "("):
            try:
                sf.parse_dictionary(text, "Signature-Input")
                outcomes.add("parsed")
            except SignatureError:
                outcomes.add("refused")
    assert outcomes == {"parsed", "refused"}


def test_every_cut_of_a_long_signature_header_is_read_or_refused_cleanly(key):
    """Past 256 characters positions are no longer small cached integers: a hostile header cut anywhere, or
    ending in a backslash, gives a SignatureError and never an IndexError."""
    value = signed_post(key)["Signature"]
    assert len(value) > 400
    outcomes = set()
    for end in range(len(value) + 1):
        for text in (value[:end], value[:end] + "\\", value[:end] + ",foo"):
            try:
                parse_signature_header(text)
                outcomes.add("parsed")
            except SignatureError:
                outcomes.add("refused")
    assert outcomes == {"parsed", "refused"}


def test_rfc9421_signs_a_matching_caller_content_digest_and_refuses_a_wrong_one(key):
    from fediverse.activitypub.signatures import content_digest_header

    given = {"Content-Digest": "sha-256=:" + base64.b64encode(hashlib.sha256(BODY).digest()).decode() + ":"}
    added = sign_rfc9421("POST", INBOX, given, BODY, KEY_ID, key, now=NOW)
    assert "Content-Digest" not in added
    check("POST", INBOX, {**given, **added}, BODY, key.public_key())
    for wrong in (content_digest_header(b"other"), "sha-512=:" + base64.b64encode(hashlib.sha512(BODY).digest()).decode() + ":"):
        with pytest.raises(ValueError, match="Content-Digest header does not match body"):
            sign_rfc9421("POST", INBOX, {"Content-Digest": wrong}, BODY, KEY_ID, key, now=NOW)


# --- the signed Host ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "accepted"),
    [("remote.example", True), ("Remote.Example", True), ("remote.example:443", True),
     ("remote.example:80", False), ("remote.example:8443", False), ("other.example", False)],
)
def test_the_signed_host_must_name_us_with_or_without_the_default_port(key, host, accepted):
    headers = signed_post(key, Host=host)
    if accepted:
        check("POST", INBOX, headers, BODY, key.public_key())
        return
    with pytest.raises(SignatureError, match="signed for host"):
        check("POST", INBOX, headers, BODY, key.public_key())


def test_the_default_port_of_plain_http_may_be_written_too(key):
    url = "http://remote.example/users/bob/inbox"
    headers = {"Host": "remote.example:80"}
    headers |= sign_cavage("GET", url, headers, None, KEY_ID, key, now=NOW)
    check("GET", url, headers, None, key.public_key())
    headers = {"Host": "remote.example:443"}
    headers |= sign_cavage("GET", url, headers, None, KEY_ID, key, now=NOW)
    with pytest.raises(SignatureError, match="signed for host"):
        check("GET", url, headers, None, key.public_key())


# --- the time window --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(hours=-1), True),  # an hour ahead of our clock: the skew allowed
        (timedelta(hours=-1, seconds=-1), False),
        (timedelta(minutes=65), True),  # 5 minutes of lifetime + an hour of skew
        (timedelta(minutes=65, seconds=1), False),
    ],
)
def test_a_date_just_outside_the_window_is_refused(key, age, accepted):
    headers = signed_post(key, now=NOW - age)
    if accepted:
        check("POST", INBOX, headers, BODY, key.public_key())
        return
    with pytest.raises(SignatureError, match="Date outside the accepted window"):
        check("POST", INBOX, headers, BODY, key.public_key())


def _hs2019(key, created: datetime, expires: datetime) -> dict[str, str]:
    """A GET signed with (created) and (expires), as hs2019 allows."""
    c, e = int(created.timestamp()), int(expires.timestamp())
    values = {"(request-target)": f"get {PATH}", "host": "remote.example", "(created)": str(c), "(expires)": str(e)}
    order = ["(request-target)", "host", "(created)", "(expires)"]
    text = "\n".join(f"{name}: {values[name]}" for name in order).encode()
    signature = base64.b64encode(key.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {
        "Host": "remote.example",
        "Signature": f'keyId="{KEY_ID}",algorithm="hs2019",created={c},expires={e},'
        f'headers="{" ".join(order)}",signature="{signature}"',
    }


def test_an_expires_further_than_twelve_hours_is_capped(key):
    created = NOW - timedelta(hours=13)  # valid for a day by its own word, but at most 12 h (+1 h skew) here
    headers = _hs2019(key, created, created + timedelta(days=1))
    info = check("GET", INBOX, headers, None, key.public_key())
    assert info.expires == created + timedelta(days=1)
    with pytest.raises(SignatureError, match="expired"):
        check("GET", INBOX, headers, None, key.public_key(), now=NOW + timedelta(seconds=1))


# --- RFC 9421 ---------------------------------------------------------------------------------------------


def _rfc_get(key, params: str, now=NOW) -> dict[str, str]:
    """A GET signed over @method @target-uri with the given extra parameters."""
    line = f'("@method" "@target-uri");created={int(now.timestamp())};keyid="{KEY_ID}"{params}'
    base = f'"@method": GET\n"@target-uri": {INBOX}\n"@signature-params": {line}'.encode()
    raw = key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    return {"Signature-Input": f"sig1={line}", "Signature": f"sig1=:{base64.b64encode(raw).decode()}:"}


def test_rfc9421_expires_is_honoured(key):
    headers = _rfc_get(key, f";expires={int((NOW + timedelta(minutes=30)).timestamp())}")
    info = check("GET", INBOX, headers, None, key.public_key(), now=NOW + timedelta(minutes=80))
    assert info.expires == NOW + timedelta(minutes=30)
    with pytest.raises(SignatureError, match="expired"):
        check("GET", INBOX, headers, None, key.public_key(), now=NOW + timedelta(minutes=91))


def test_rfc9421_expires_must_be_an_integer(key):
    headers = _rfc_get(key, ';expires="soon"')
    with pytest.raises(SignatureError, match="expires parameter is not an integer"):
        read_signature("GET", PATH, INBOX, headers)


def test_rfc9421_extra_parameters_are_signed_exactly_as_sent(key):
    """The @signature-params line is rebuilt from the parsed header: a nonce, a byte sequence, a decimal and a
    flag must come out byte for byte as the signer wrote them, or the signature cannot verify."""
    headers = _rfc_get(key, ';nonce=:AAECAw==:;tag="app";ratio=0.5;flag;tok=abc/def')
    check("GET", INBOX, headers, None, key.public_key())


# --- structured fields: the number limits of RFC 8941 ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("123456789012345", 123456789012345),  # 15 digits: the longest integer
        ("-123456789012345", -123456789012345),
        ("123456789012.123", "123456789012.123"),  # 12 integer digits, 3 fraction digits: the longest decimal
        ("1.5", "1.5"),
        ("0", 0),
        (":AAECAw:", b"\x00\x01\x02\x03"),  # a byte sequence without its = padding (RFC 8941 says: accept)
        ("::", b""),
        (":AAE:", b"\x00\x01"),
    ],
)
def test_structured_field_numbers_at_their_limits_are_read(value, parsed):
    (item, _params) = sf.parse_dictionary(f"a={value}", "Signature-Input")["a"]
    assert item == parsed if isinstance(parsed, bytes) else str(item) == str(parsed)


@pytest.mark.parametrize(
    "value", ["1234567890123456", "1234567890123.1", "1.", "1.1234", "1.12345", "-", "-a", "1..2", '!x"', ' "x"']
)
def test_structured_field_numbers_past_their_limits_are_refused(value):
    with pytest.raises(SignatureError, match="malformed Signature-Input header"):
        sf.parse_dictionary(f"a={value}", "Signature-Input")


@pytest.mark.parametrize(
    ("covered", "accepted"),
    [
        ('"@method" "@authority" "@path"', True),
        ('"@method" "@authority" "@request-target"', True),
        ('"@method" "@path"', False),  # a path without the authority could be replayed to another server
        ('"@method" "@authority"', False),
        ('"@method" "@request-target"', False),
    ],
)
def test_rfc9421_must_cover_the_target_uri_or_the_authority_and_the_path(covered, accepted):
    headers = {
        "Signature-Input": f'sig1=({covered});created={int(NOW.timestamp())};keyid="{KEY_ID}"',
        "Signature": "sig1=:AAAA:",
    }
    if accepted:
        assert read_signature("GET", PATH, INBOX, headers).covered == tuple(covered.replace('"', "").split())
        return
    with pytest.raises(SignatureError, match="signature must cover @target-uri"):
        read_signature("GET", PATH, INBOX, headers)


# --- what a refusal quotes back ---------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "quoted"), [(62, "'" + "x" * 62 + "'"), (63, "'" + "x" * 60 + "...")])
def test_a_hostile_value_is_quoted_whole_up_to_64_characters_then_cut(key, length, quoted):
    headers = signed_post(key)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "x" * length)
    with pytest.raises(SignatureError) as exc:
        read_signature("POST", PATH, INBOX, headers)
    assert exc.value.reason == f"unsupported signature algorithm {quoted}; use rsa-sha256 or hs2019"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("a=:AAAA", "unterminated byte sequence"),
        ("a=:AA*A:", "invalid base64 in byte sequence"),
        ('a="abc', "unterminated string"),
        ('a="a\\b"', "bad escape in string"),
        ('a="a\tb"', "invalid character in string"),
        ("a=?2", "bad boolean"),
        ("a=(1 ", "unterminated inner list"),
        ("a=(1 2", "expected space or ) in inner list"),
        ("a=(1,2)", "expected space or ) in inner list"),
        ("a=1;p=1;p=2", "duplicate parameter 'p'"),
        ("a=1, a=2", "duplicate key 'a'"),
        ("a=1 b=2", "expected a comma"),
        ("a=1, ", "trailing comma"),
        ("A=1", "expected a key"),
        ("a=$", "unexpected character"),
        ("a=-", "expected a digit"),
        ("a=1234567890123456", "integer too long"),
        ("a=1234567890123.5", "decimal too long"),
        ("a=1.2345", "bad decimal fraction"),
    ],
)
def test_a_malformed_structured_field_is_refused_with_the_reason(value, why):
    """Duplicates are our rule (two signatures under one label are an attack) and say so; a grammar error
    names the header and where in it the parser (http-sf, the one implementation) stopped."""
    with pytest.raises(SignatureError) as exc:
        sf.parse_dictionary(value, "Signature-Input")
    if why.startswith("duplicate"):
        assert exc.value.reason == f"{why} in Signature-Input"
    else:
        assert re.fullmatch(r"malformed Signature-Input header: .+ at position \d+( \(in '\w+'\))?", exc.value.reason)


@pytest.mark.parametrize("keyid", ["k", "5", '""', "?1", ":AAAA:"])  # a token, a number, empty, a boolean, bytes
def test_rfc9421_keyid_must_be_a_non_empty_string(keyid):
    headers = {
        "Signature-Input": f'sig1=("@method" "@target-uri");created={int(NOW.timestamp())};keyid={keyid}',
        "Signature": "sig1=:AAAA:",
    }
    with pytest.raises(SignatureError) as exc:
        read_signature("GET", PATH, INBOX, headers)
    assert exc.value.reason == "signature is missing keyid"


def test_an_international_host_is_signed_in_its_ascii_form(key):
    url = "https://bücher.example/users/bob/inbox"
    added = sign_cavage("GET", url, {}, None, KEY_ID, key, now=NOW)
    assert added["Host"] == "xn--bcher-kva.example"
    check("GET", url, added, None, key.public_key())
    signed = sign_rfc9421("GET", url, {}, None, KEY_ID, key, now=NOW)
    assert read_signature("GET", PATH, url, signed).covered == ("@method", "@target-uri")
    check("GET", url, signed, None, key.public_key())


@pytest.mark.parametrize(("count", "refused"), [(0, True), (32, False), (33, True)])
def test_a_cavage_signature_lists_between_1_and_32_headers(key, count, refused):
    names = ["(request-target)", "host", "date"] + [f"x-extra-{i}" for i in range(max(0, count - 3))]
    names = names[:count]
    headers = {"Host": "remote.example", "Date": "Thu, 02 Jan 2025 03:04:05 GMT"}
    headers |= {f"X-Extra-{i}": "v" for i in range(30)}
    headers["Signature"] = f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="AAAA"'
    if refused:
        with pytest.raises(SignatureError) as exc:
            read_signature("GET", PATH, INBOX, headers)
        assert exc.value.reason == "headers must list between 1 and 32 entries"
        return
    assert len(read_signature("GET", PATH, INBOX, headers).covered) == 32


@pytest.mark.parametrize("key_id", ["https://host/a\nb", "https://host/a\rb"])
def test_a_key_id_with_a_line_break_is_never_signed(key, key_id):
    with pytest.raises(ValueError, match="keyId must not contain line breaks"):
        sign_cavage("GET", INBOX, {}, None, key_id, key, now=NOW)


def test_a_key_id_with_quotes_and_backslashes_round_trips(key):
    key_id = 'https://host/a"b\\c'
    info = check("GET", INBOX, sign_cavage("GET", INBOX, {}, None, key_id, key, now=NOW), None, key.public_key())
    assert info.key_id == key_id


@pytest.mark.parametrize(
    ("method", "body", "why"),
    [("POST", b"", "headers must include digest for POST"),  # a POST needs a digest even when empty
     ("GET", b"x", "headers must include digest for a request with a body")],
)
def test_a_request_that_carries_or_may_carry_a_body_must_sign_its_digest(key, method, body, why):
    headers = {"Host": "remote.example", "Date": "Thu, 02 Jan 2025 03:04:05 GMT"}
    text = f"(request-target): {method.lower()} {PATH}\nhost: remote.example\ndate: {headers['Date']}".encode()
    signature = base64.b64encode(key.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date",signature="{signature}"'
    )
    with pytest.raises(SignatureError) as exc:
        check(method, INBOX, headers, body, key.public_key())
    assert exc.value.reason == why
    check(method, INBOX, headers, body, key.public_key(), require_digest_for_body=False)  # the signature is good


def test_a_signed_created_pseudo_header_needs_its_parameter(key):
    headers = _hs2019(key, NOW, NOW + timedelta(minutes=5))
    headers["Signature"] = headers["Signature"].replace(f"created={int(NOW.timestamp())},", "")
    with pytest.raises(SignatureError) as exc:
        read_signature("GET", PATH, INBOX, headers)
    assert exc.value.reason == "(created) is signed but the created parameter is missing"


def test_a_naive_now_is_read_as_utc(key):
    headers = signed_post(key)
    check("POST", INBOX, headers, BODY, key.public_key(), now=NOW.replace(tzinfo=None) + timedelta(minutes=65))
    with pytest.raises(SignatureError, match="expired"):
        check("POST", INBOX, headers, BODY, key.public_key(), now=NOW.replace(tzinfo=None) + timedelta(minutes=66))


@pytest.mark.parametrize(("count", "refused"), [(32, False), (33, True)])
def test_rfc9421_covers_at_most_32_components(count, refused):
    names = ["@method", "@target-uri"] + [f"x-extra-{i}" for i in range(count - 2)]
    covered = " ".join(f'"{name}"' for name in names)
    headers = {
        "Signature-Input": f'sig1=({covered});created={int(NOW.timestamp())};keyid="{KEY_ID}"',
        "Signature": "sig1=:AAAA:",
    }
    if refused:
        with pytest.raises(SignatureError) as exc:
            read_signature("GET", PATH, INBOX, headers)
        assert exc.value.reason == "signature covers too many components"
        return
    assert len(read_signature("GET", PATH, INBOX, headers).covered) == 32


def test_a_header_of_16_kib_is_read_and_one_character_more_is_refused():
    from fediverse.activitypub.signatures import check_digest
    from fediverse.activitypub.signatures.http_parts import MAX_HEADER_CHARS

    value = digest_header(BODY) + ", x="
    value += "a" * (16 * 1024 - len(value))  # the documented limit, 16 KiB
    assert len(value) == MAX_HEADER_CHARS
    check_digest({"Digest": value}, BODY)
    with pytest.raises(SignatureError) as exc:
        check_digest({"Digest": value + "a"}, BODY)
    assert exc.value.reason == "digest header is too large"


def test_the_info_read_from_a_request_cannot_be_altered_before_it_is_verified(key):
    import dataclasses

    info = read_signature("POST", PATH, INBOX, signed_post(key))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.key_id = "https://evil.example/actor#key"  # type: ignore[misc]
    assert {info: "cached"}[info] == "cached"  # and so it can key a cache
