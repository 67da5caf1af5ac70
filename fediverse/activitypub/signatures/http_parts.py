"""Request pieces both schemes need: header lookup, Host/authority, HTTP dates.

Signers and verifiers must derive these identically, or signatures made by
one side never verify on the other; keeping them in one place ensures that.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import SplitResult, urlsplit

from .errors import SignatureError, shown

# Any signature-related header beyond this is hostile; real ones are < 2 KiB.
MAX_HEADER_CHARS = 16_384
DEFAULT_PORTS = {"http": 80, "https": 443}
# Methods whose requests carry a body, so they get (and must have) a digest.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Case-insensitive view of any Mapping; repeated fields are comma-joined.

    Starlette's ``Headers.items()`` yields repeated fields separately; joining
    them is the HTTP meaning and makes a doubled Signature header unparseable
    rather than silently picking one.
    """
    result: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).lower()
        text = str(value).strip()
        result[key] = f"{result[key]}, {text}" if key in result else text
    return result


def limited(headers: Mapping[str, str], name: str) -> str | None:
    """Read an already lower-cased header, refusing absurdly large values."""
    value = headers.get(name)
    if value is not None and len(value) > MAX_HEADER_CHARS:
        raise SignatureError(f"{name} header is too large")
    return value


def _split(url: str) -> tuple[SplitResult, str, int | None]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return parts, host, parts.port


def authority(url: str) -> str:
    """host[:port] as httpx puts it in Host: lower-case, default port omitted."""
    parts, host, port = _split(url)
    if port is None or DEFAULT_PORTS.get(parts.scheme.lower()) == port:
        return host
    return f"{host}:{port}"


def target_uri(url: str) -> str:
    """Normalised absolute URI (RFC 9421 ``@target-uri``), fragment dropped."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{authority(url)}{parts.path or '/'}{query}"


def path_and_query(url: str) -> str:
    """The request-target a client sends for ``url``."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def http_date(moment: datetime) -> str:
    """RFC 7231 IMF-fixdate, e.g. ``Tue, 20 Apr 2021 02:07:55 GMT``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime:
    """Parse a Date header leniently (as Ruby's ``Time.httpdate``), UTC-aware."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise SignatureError("Date header is not a valid HTTP date") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def signed_lines(names: list[str], values: Mapping[str, str], what: str, quoted: bool) -> list[str]:
    """One ``name: value`` line per signed header (cavage) or ``"name": value`` per covered component
    (RFC 9421, ``quoted``), in the signature's order. A missing value or one with a line break is refused:
    either would let two different requests share one signed text."""
    lines = []
    for name in names:
        value = values.get(name)
        if value is None:
            raise SignatureError(f"{what} {shown(name)} is missing from the request")
        if "\n" in value or "\r" in value:
            raise SignatureError(f"{what} {shown(name)} contains a line break")
        lines.append(f'"{name}": {value}' if quoted else f"{name}: {value}")
    return lines


def signed_digest(lowered: Mapping[str, str], covered: tuple[str, ...], header: str, *, needs_digest: bool,
                  method: str, rule: str) -> str | None:
    """The body digest header (``digest`` or ``content-digest``) when the signature covers it. A request
    with a body whose signature does not cover one is refused, naming the ``rule`` it broke."""
    if header in covered:
        value = limited(lowered, header)
        if value is None:
            raise SignatureError(f"{header.title()} header is signed but missing")
        return value
    if needs_digest:
        what = "POST" if method.upper() == "POST" else "a request with a body"
        raise SignatureError(f"{rule} for {what}")
    return None
