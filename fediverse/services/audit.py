"""`fediverse consent audit`: crawl an actor as a scraper would, and report which consent signals each surface has.

What is expected where is consent doc §15 (the emission plan), computed with the same projections the emitters
use (``jsonld_properties``, ``http_headers``, ``html_head``, ``xmp_packet``'s fields), applied to the record each
document states about itself:

- the actor document, its outbox (collection and pages) and featured collection, every object listed there
  (fetched by id, too) and every attachment: our JSON-LD terms, the ``@context`` defining them, and the HTTP
  headers on each ActivityPub response;
- the HTML pages (the actor's profile, each object's page): ``<meta name="robots">``, ``tdm-reservation``,
  ``<link rel="license">`` and the same headers;
- every media URL (attachments, the images of the work pages, avatar and header): the headers on GET, HEAD and
  304 responses, and the XMP packet read back from the bytes;
- the site files: /robots.txt (AI crawler group, ``Content-Usage`` and ``Content-Signal``, and what they say for
  this artist's paths), /.well-known/tdmrep.json, /ai.txt, and the TDM policy (ODRL) document.

A check is *missing* when a signal is absent, a *conflict* when a surface is more permissive than the record of
the document it belongs to (stricter is fine), *invalid* when it cannot be read. Anything of ours (on the
instance's own host) with such a finding fails the audit; remote items are reported only (``strict`` fails them
too). The crawl is bounded: pages, objects and media URLs are capped, every request has a time-out and a size
cap, the whole audit a deadline, and private addresses are refused unless ``allow_private`` (the
``[federation] allow_private_addresses`` setting). Requests are unsigned, as a scraper's are.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
import warnings
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urljoin, urlsplit

import httpx
import orjson

from fediverse import __version__
from fediverse.activitypub.jsonsafe import load_json
from fediverse.activitypub.parse import parse_webfinger
from fediverse.activitypub.vocab import ParseError
from fediverse.activitypub.webfinger import parse_resource
from fediverse.consent import (
    AI_TRAINING_VALUES, JSONLD_TERMS, ConsentRecord, InboundSignals, jsonld_properties, parse_content_usage,
    read_xmp, signals_from_activitypub, signals_from_xmp, x_robots_directives,
)
from fediverse.consent.crawlers import ai_crawler_tokens
from fediverse.consent.inbound import data_mining_meaning, licence_links
from fediverse.consent.xmp import MAX_XMP_BYTES  # the audit reads what the live pipeline reads
from fediverse.errors import FediverseError, Invalid
from fediverse.federation.addresses import check_url
from fediverse.federation.pinning import http_transport

ACCEPT_AP = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9"
ACCEPT_JRD = "application/jrd+json, application/json"
REDIRECTS = (301, 302, 303, 307, 308)
POLICY_PLACEHOLDER = "https://policy.invalid/"  # only makes jsonld_properties list tdmPolicy when rights are reserved
SAMPLE_CRAWLER = "GPTBot"  # the AI crawler whose robots.txt treatment of the artist's paths is checked
MAX_ATTACHMENTS = 20

PRESENT, OPTIONAL, MISSING, CONFLICT, INVALID = "present", "optional", "missing", "conflict", "invalid"
FAILING = (MISSING, CONFLICT, INVALID)
# The consent properties of JSONLD_TERMS (not the namespace prefixes, not PropertyValue/value).
CONSENT_TERMS = tuple(k for k, v in JSONLD_TERMS.items()
                      if not (isinstance(v, str) and v.endswith(("#", "/"))) and k not in ("PropertyValue", "value"))
# Headers every consent-carrying response gets (http_headers' names), compared case-insensitively.
HEADER_NAMES = ("X-Robots-Tag", "tdm-reservation", "tdm-policy", "Content-Usage", "Link")
XMP_REQUIRED = ("plus:DataMining", "Iptc4xmpExt:DigitalSourceType", "xmpRights:UsageTerms", "plus:OtherConstraints",
                "xmpRights:Marked", "dc:rights", "dc:creator")


class AuditError(FediverseError):
    """The audit could not start: the target is not an actor we can find."""


@dataclass(frozen=True)
class AuditLimits:
    max_pages: int = 5  # outbox pages followed
    max_items: int = 40  # objects audited (each: its JSON, its page)
    max_media: int = 40  # media URLs audited (each: HEAD, GET, conditional GET)
    max_bytes: int = 1_048_576  # JSON, HTML and text bodies
    max_media_bytes: int = 16 * 1_048_576  # media bodies read for XMP (a longer file is read this far)
    timeout: float = 10.0  # per request
    deadline: float = 300.0  # the whole audit
    max_redirects: int = 3

    def __post_init__(self) -> None:
        for name in ("max_pages", "max_items", "max_media", "max_bytes", "max_media_bytes", "max_redirects"):
            if getattr(self, name) < 0:
                raise Invalid(f"{name} must not be negative")
        if self.timeout <= 0 or self.deadline <= 0:
            raise Invalid("timeout and deadline must be positive")


@dataclass(frozen=True)
class Check:
    """One signal on one surface: ``surface`` "json-ld" | "header" | "html" | "xmp" | "file"."""

    surface: str
    name: str
    status: str  # present | optional (absent, not required) | missing | conflict | invalid
    value: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILING

    def label(self) -> str:
        return f"{self.surface}:{self.name}" if self.surface not in ("file",) else self.name


@dataclass
class AuditItem:
    kind: str  # actor | collection | object | attachment | page | media | avatar | robots.txt | tdmrep.json …
    url: str
    ours: bool
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    record: str = ""  # the record the expectations came from, as its Content-Usage string

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    def failed(self, strict: bool = False) -> bool:
        return (self.ours or strict) and (self.error is not None or bool(self.problems))

    def add(self, surface: str, name: str, status: str, value: Any = "") -> Check:
        text = value if isinstance(value, str) else orjson.dumps(value).decode() if value is not None else ""
        check = Check(surface, name, status, " ".join(text.split())[:160])
        self.checks.append(check)
        return check

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "ours": self.ours, "record": self.record, "error": self.error,
                "checks": [dataclasses.asdict(c) for c in self.checks]}


@dataclass
class AuditReport:
    target: str
    actor: str | None = None
    items: list[AuditItem] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # limits that were reached

    def failed(self, strict: bool = False) -> bool:
        return self.actor is None or any(item.failed(strict) for item in self.items)

    def exit_code(self, strict: bool = False) -> int:
        """0: every signal of ours is there; 1: something of ours lacks one; 2: the actor could not be audited."""
        if self.actor is None:
            return 2
        return 1 if self.failed(strict) else 0

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "actor": self.actor, "incomplete": self.incomplete,
                "failed": self.failed(), "items": [item.to_json() for item in self.items]}


# --- HTTP: one bounded GET/HEAD through the address guard ----------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool  # the body was longer than the cap and was cut there

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class FetchFailed(Exception):
    pass


class Fetcher:
    """GET/HEAD with the address guard on every hop, bounded redirects, a per-request time-out and a size cap."""

    def __init__(self, client: httpx.AsyncClient, limits: AuditLimits, *, allow_private: bool,
                 resolve_first: bool = True) -> None:
        self.client = client
        self.limits = limits
        self.allow_private = allow_private
        self.resolve_first = resolve_first  # False over the pinned transport, which checks at connect time
        self.requests = 0

    async def get(self, url: str, *, accept: str, method: str = "GET", max_bytes: int | None = None,
                  cut: bool = False, headers: Mapping[str, str] | None = None) -> Fetched:
        """``cut``: a body over the cap is cut there (media); otherwise it is an error (documents)."""
        cap = self.limits.max_bytes if max_bytes is None else max_bytes
        for _hop in range(self.limits.max_redirects + 1):
            try:
                await check_url(url, allow_private=self.allow_private, resolve=self.resolve_first)
            except FediverseError as exc:
                raise FetchFailed(str(exc)) from None
            self.requests += 1
            try:
                async with asyncio.timeout(self.limits.timeout):
                    async with self.client.stream(method, url, headers={"Accept": accept, **(headers or {})}) as resp:
                        if resp.status_code in REDIRECTS and "location" in resp.headers:
                            url = urljoin(url, resp.headers["location"])
                            continue
                        body, truncated = b"", False
                        if method != "HEAD":
                            body, truncated = await _read(resp, cap)
                            if truncated and not cut:
                                raise FetchFailed(f"{url[:200]}: body over the {cap}-byte cap")
                        return Fetched(url, resp.status_code, resp.headers, body, truncated)
            except TimeoutError:
                raise FetchFailed(f"{url[:200]}: no answer within {self.limits.timeout:g}s") from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{url[:200]}: {type(exc).__name__}: {exc}") from None
            except FediverseError as exc:  # the pinned transport refused the address it resolved
                raise FetchFailed(str(exc)) from None
        raise FetchFailed(f"{url[:200]}: more than {self.limits.max_redirects} redirects")


async def _read(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    declared = response.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], True
    return b"".join(chunks), declared.isdigit() and int(declared) > cap


# --- readers -----------------------------------------------------------------------------------------------------


class _Head(HTMLParser):
    """<meta name=…>, <link rel=…>, <img src>, <script type=application/ld+json> of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.links: list[tuple[set[str], str]] = []
        self.images: list[str] = []
        self.ld_json: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and "name" in a:
            self.meta.append((a["name"].strip().lower(), a.get("content", "")))
        elif tag == "link" and "rel" in a:
            self.links.append(({r.lower() for r in a["rel"].split()}, a.get("href", "")))
        elif tag == "img" and a.get("src"):
            self.images.append(a["src"])
        elif tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self._in_ld = True
            self.ld_json.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld_json[-1] += data

    def values(self, name: str) -> list[str]:
        return [content for meta_name, content in self.meta if meta_name == name]


def parse_html(body: bytes) -> _Head:
    head = _Head()
    try:
        head.feed(body.decode("utf-8", "replace"))
        head.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; a hostile page must not stop the audit
        pass
    return head


def xmp_from_bytes(data: bytes) -> bytes | None:
    """The XMP packet of an image: what Pillow exposes, else the first <x:xmpmeta> … </x:xmpmeta> in the bytes."""
    try:
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                for key in ("xmp", "XML:com.adobe.xmp"):
                    value = im.info.get(key)
                    if value:
                        return value if isinstance(value, bytes) else str(value).encode("utf-8")
    except Exception:  # noqa: BLE001 - truncated, unknown or hostile file: fall back to the byte search
        pass
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        return None
    end = data.find(b"</x:xmpmeta>", start, start + MAX_XMP_BYTES)
    return data[start:end + len(b"</x:xmpmeta>")] if end > 0 else None


@dataclass(frozen=True)
class RobotsGroup:
    agents: tuple[str, ...]
    rules: tuple[tuple[bool, str], ...]  # (allow, pattern)
    extras: tuple[tuple[str, str], ...]  # other lines: (lower-cased key, value), e.g. content-usage


def parse_robots(text: str, *, max_lines: int = 10_000) -> list[RobotsGroup]:
    """RFC 9309 groups (user-agent lines, then rules); unknown lines stay with their group as extras."""
    groups: list[RobotsGroup] = []
    agents: list[str] = []
    rules: list[tuple[bool, str]] = []
    extras: list[tuple[str, str]] = []
    in_rules = False

    def close() -> None:
        if agents:
            groups.append(RobotsGroup(tuple(agents), tuple(rules), tuple(extras)))

    for raw in text.splitlines()[:max_lines]:
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                close()
                agents, rules, extras, in_rules = [], [], [], False
            agents.append(value.lower())
        elif key in ("allow", "disallow"):
            in_rules = True
            if value:
                rules.append((key == "allow", value))
        else:
            in_rules = in_rules or bool(agents)
            extras.append((key, value))
    close()
    return groups


def robots_group(groups: list[RobotsGroup], token: str) -> list[RobotsGroup]:
    named = [g for g in groups if token.lower() in g.agents]
    return named or [g for g in groups if "*" in g.agents]


def _pattern(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = re.escape(pattern.rstrip("$")).replace(r"\*", ".*")
    return re.compile(body + ("$" if anchored else ""))


def robots_allows(groups: list[RobotsGroup], path: str) -> bool:
    """Longest matching rule wins, Allow on a tie; no rule: allowed (RFC 9309 §2.2.2)."""
    best: tuple[int, bool] | None = None
    for group in groups:
        for allow, pattern in group.rules:
            if _pattern(pattern).match(path):
                candidate = (len(pattern), allow)
                if best is None or candidate[0] > best[0] or (candidate[0] == best[0] and allow):
                    best = candidate
    return True if best is None else best[1]


def content_usage_for(groups: list[RobotsGroup], path: str) -> str | None:
    """The AIPREF ``Content-Usage`` rule of robots.txt that applies to ``path`` (most specific path first)."""
    general: str | None = None
    best: tuple[int, str] | None = None
    for group in groups:
        for key, value in group.extras:
            if key != "content-usage":
                continue
            if value.startswith("/"):
                prefix, _, prefs = value.partition(" ")
                if _pattern(prefix).match(path) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), prefs.strip())
            elif general is None:
                general = value
    return best[1] if best else general


# --- judging one signal against the record it should project ----------------------------------------------------


def _directives(values: Iterable[str]) -> set[str]:
    return x_robots_directives(list(values))[0]


def judge_robots(item: AuditItem, surface: str, name: str, values: list[str], record: ConsentRecord) -> None:
    expected = set(record.robots_directives)
    if not values:
        item.add(surface, name, MISSING if expected else OPTIONAL, "")
        return
    lacking = [d for d in record.robots_directives if d not in _directives(values)]
    item.add(surface, name, CONFLICT if lacking else PRESENT,
             ", ".join(values) + (f" (lacks {', '.join(lacking)})" if lacking else ""))


def judge_usage(item: AuditItem, surface: str, name: str, value: str | None, record: ConsentRecord) -> None:
    if value is None:
        item.add(surface, name, MISSING)
        return
    parsed = parse_content_usage(value)
    if parsed.status != "ok":
        item.add(surface, name, INVALID, f"{value} ({parsed.error or parsed.status})")
        return
    expected = parse_content_usage(record.content_usage).preferences
    looser = [k for k, allowed in expected.items() if not allowed and parsed.preferences.get(k) is not False]
    item.add(surface, name, CONFLICT if looser else PRESENT,
             value + (f" (should say {', '.join(f'{k}=n' for k in looser)})" if looser else ""))


def judge_tdm(item: AuditItem, surface: str, name: str, value: Any, record: ConsentRecord) -> None:
    if value is None or value == "":
        item.add(surface, name, MISSING)
        return
    text = str(value).strip()
    if text not in ("0", "1") or isinstance(value, bool):
        item.add(surface, name, INVALID, text)
    elif record.tdm_reservation == 1 and text == "0":
        item.add(surface, name, CONFLICT, "0 (rights are reserved: should be 1)")
    else:
        item.add(surface, name, PRESENT, text)


def judge_licence(item: AuditItem, surface: str, name: str, value: str | None, record: ConsentRecord) -> None:
    if not value:
        item.add(surface, name, MISSING if record.licence_url else OPTIONAL)
    elif record.licence_url and value.rstrip("/") != record.licence_url.rstrip("/"):
        item.add(surface, name, CONFLICT, f"{value} (the document says {record.licence_url})")
    else:
        item.add(surface, name, PRESENT, value)


def judge_data_mining(item: AuditItem, surface: str, name: str, value: Any, record: ConsentRecord) -> None:
    if not value:
        item.add(surface, name, MISSING)
        return
    meaning = data_mining_meaning(value) if isinstance(value, str) else None
    if meaning is None:
        item.add(surface, name, INVALID, value)
    elif record.restricts_training and meaning.get("ai_training") == "allowed":
        item.add(surface, name, CONFLICT, f"{value} (training is refused)")
    else:
        item.add(surface, name, PRESENT, value)


def judge_headers(item: AuditItem, headers: httpx.Headers, record: ConsentRecord, *, prefix: str = "") -> None:
    """The consent headers of one response (http_headers' projection of ``record``)."""
    surface = "header"
    judge_robots(item, surface, prefix + "X-Robots-Tag", headers.get_list("x-robots-tag"), record)
    tdm = headers.get_list("tdm-reservation")
    judge_tdm(item, surface, prefix + "tdm-reservation", tdm[0] if tdm else None, record)
    usage = headers.get_list("content-usage")
    judge_usage(item, surface, prefix + "Content-Usage", ", ".join(usage) if usage else None, record)
    licence = licence_links(headers.get_list("link"))
    judge_licence(item, surface, prefix + "Link rel=license", licence[0] if licence else None, record)
    policy = headers.get("tdm-policy")
    item.add(surface, prefix + "tdm-policy", PRESENT if policy else OPTIONAL, policy or "")


def consent_header_names(headers: httpx.Headers) -> set[str]:
    names = {n.lower() for n in HEADER_NAMES if n.lower() in headers and n != "Link"}
    if licence_links(headers.get_list("link")):
        names.add("link")
    return names


# --- records ------------------------------------------------------------------------------------------------------


def safe_record(signals: InboundSignals, default: ConsentRecord) -> ConsentRecord:
    try:
        return signals.to_record(default)
    except Invalid:
        return InboundSignals(ai_training=signals.ai_training, tdm_reserved=signals.tdm_reserved,
                              ai_input=signals.ai_input, search=signals.search).to_record(default)


def stated_record(doc: Mapping[str, Any], parent: ConsentRecord, *, is_actor: bool = False) -> ConsentRecord:
    """The record a document states: our exact terms where present, else what every reader makes of it, else
    ``parent`` (the actor for an object, the object for an attachment)."""
    record = safe_record(signals_from_activitypub(doc, is_actor=is_actor), parent)
    exact: dict[str, Any] = {}
    if doc.get("aiTraining") in AI_TRAINING_VALUES:
        exact["ai_training"] = doc["aiTraining"]
    if isinstance(doc.get("aiInput"), bool):
        exact["ai_input"] = doc["aiInput"]
    if isinstance(doc.get("contentUsage"), str):
        search = parse_content_usage(doc["contentUsage"]).preferences.get("search")
        if search is not None:
            exact["search"] = search
    if doc.get("tdmReservation") in (0, 1) and not isinstance(doc.get("tdmReservation"), bool):
        exact["tdm_reserved"] = doc["tdmReservation"] == 1
    try:
        return dataclasses.replace(record, **exact)
    except Invalid:
        return record


def _context_terms(context: Any) -> set[str]:
    items = context if isinstance(context, list) else [context]
    return {key for item in items if isinstance(item, Mapping) for key in item}


# --- the crawl ----------------------------------------------------------------------------------------------------


@dataclass
class _Media:
    url: str
    kind: str
    record: ConsentRecord
    xmp_required: bool
    expect: Mapping[str, Any] = field(default_factory=dict)  # the attachment's own values (dataMining …)


class Auditor:
    def __init__(self, fetcher: Fetcher, limits: AuditLimits, *, our_hosts: Iterable[str], our_scheme: str,
                 default: ConsentRecord, report: AuditReport, custom_user_agent: bool = False) -> None:
        self.fetch = fetcher
        self.custom_user_agent = custom_user_agent
        self.our_scheme = our_scheme
        self.limits = limits
        self.our_hosts = {h.lower() for h in our_hosts}
        self.default = default
        self.report = report
        self.objects_seen: set[str] = set()
        self.media: dict[str, _Media] = {}
        self.media_paths: list[str] = []

    def ours(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() in self.our_hosts

    def item(self, kind: str, url: str, record: ConsentRecord | None = None) -> AuditItem:
        item = AuditItem(kind, url, self.ours(url), record=record.content_usage if record else "")
        self.report.items.append(item)
        return item

    # --- target

    async def resolve(self, target: str) -> str:
        try:
            resource = parse_resource(target if "@" in target or "://" in target else f"{target}@{self._home()}")
        except ValueError as exc:
            raise AuditError(f"{target!r}: {exc}") from None
        if resource.url:
            return resource.url
        assert resource.username and resource.domain
        acct = quote(f"acct:{resource.username}@{resource.domain}", safe=":@")
        schemes = ["https", "http"] if self.fetch.allow_private else ["https"]
        if resource.domain in self.our_hosts and self.our_scheme == "http":
            schemes = ["http", "https"]
        errors = []
        for scheme in schemes:
            url = f"{scheme}://{resource.domain}/.well-known/webfinger?resource={acct}"
            try:
                got = await self.fetch.get(url, accept=ACCEPT_JRD)
                if got.status != 200:
                    raise FetchFailed(f"{url}: HTTP {got.status}")
                return parse_webfinger(load_json(got.body, max_bytes=self.limits.max_bytes, max_depth=32)).actor_url
            except (FetchFailed, ParseError) as exc:
                errors.append(str(exc))
        raise AuditError(f"WebFinger lookup of {resource.username}@{resource.domain} failed: {'; '.join(errors)}")

    def _home(self) -> str:
        return next(iter(sorted(self.our_hosts)), "")

    # --- documents

    async def json_doc(self, kind: str, url: str) -> tuple[AuditItem, dict[str, Any] | None, Fetched | None]:
        item = self.item(kind, url)
        try:
            got = await self.fetch.get(url, accept=ACCEPT_AP)
        except FetchFailed as exc:
            item.error = str(exc)
            return item, None, None
        if self.refused(item, got) or got.status != 200:
            item.error = None if item.checks else f"HTTP {got.status}"
            return item, None, got
        try:
            doc = load_json(got.body, max_bytes=self.limits.max_bytes, max_depth=64)
        except ParseError as exc:
            item.error = f"not a JSON object: {exc}"
            return item, None, got
        item.url = got.url
        item.ours = self.ours(got.url)
        return item, doc, got

    def refused(self, item: AuditItem, got: Fetched) -> bool:
        """With ``--user-agent`` set to an AI crawler's, a 403 is the artist's refusal working, not a fault."""
        if got.status != 403 or not self.custom_user_agent:
            return False
        item.add("http", "refused", PRESENT, "HTTP 403 to this user agent")
        return True

    def judge_jsonld(self, item: AuditItem, doc: Mapping[str, Any], kind: str, record: ConsentRecord,
                     *, top_level: bool) -> None:
        """Our JSON-LD terms (jsonld_properties' projection of the record the document states)."""
        item.record = record.content_usage
        expected = set(jsonld_properties(record, kind=kind, policy_url=POLICY_PLACEHOLDER))  # type: ignore[arg-type]
        surface = "json-ld"
        robots = doc.get("xRobotsTag")
        judge_robots(item, surface, "xRobotsTag", [robots] if isinstance(robots, str) else
                     [r for r in robots if isinstance(r, str)] if isinstance(robots, list) else [], record)
        usage = doc.get("contentUsage")
        judge_usage(item, surface, "contentUsage", usage if isinstance(usage, str) else None, record)
        judge_tdm(item, surface, "tdmReservation", doc.get("tdmReservation"), record)
        judge_data_mining(item, surface, "dataMining", doc.get("dataMining"), record)
        training = doc.get("aiTraining")
        if training is None:
            item.add(surface, "aiTraining", MISSING)
        elif training not in AI_TRAINING_VALUES:
            item.add(surface, "aiTraining", INVALID, training)
        else:
            item.add(surface, "aiTraining", PRESENT, training)
        for key in ("aiInput", "tdmPolicy", "aiTrainingPolicy", "creditText", "digitalSourceType", "indexable"):
            if key in doc and doc[key] not in (None, "", []):
                item.add(surface, key, PRESENT, doc[key])
            elif key in expected:
                item.add(surface, key, MISSING)
        licence = doc.get("license", doc.get("licence"))
        judge_licence(item, surface, "license", licence if isinstance(licence, str) else None, record)
        if kind == "actor":
            settings = doc.get("otherSetting")
            settings = settings if isinstance(settings, list) else [settings]
            noai = [e for e in settings if isinstance(e, Mapping) and e.get("name") == "noai"]
            if not noai:
                item.add(surface, "otherSetting noai", MISSING)
            elif record.restricts_training and noai[0].get("value") is not True:
                item.add(surface, "otherSetting noai", CONFLICT, noai[0].get("value"))
            else:
                item.add(surface, "otherSetting noai", PRESENT, noai[0].get("value"))
        if top_level:
            used = [k for k in CONSENT_TERMS if k in doc]
            undefined = [k for k in used if k not in _context_terms(doc.get("@context"))]
            if used:
                item.add(surface, "@context", INVALID if undefined else PRESENT,
                         f"undefined: {', '.join(undefined)}" if undefined else "defines the consent terms")

    async def audit(self, target: str) -> None:
        try:
            actor_url = await self.resolve(target)
        except AuditError as exc:
            item = self.item("actor", target if "://" in target else f"acct:{target}")
            item.ours = item.ours or "@" not in target or target.rsplit("@", 1)[-1].lower() in self.our_hosts
            item.error = str(exc)
            return
        item, actor, got = await self.json_doc("actor", actor_url)
        if actor is None or got is None:
            if item.checks:  # refused to this user agent: audited as far as it can be
                self.report.actor = actor_url
            return
        self.report.actor = str(actor.get("id") or actor_url)
        record = stated_record(actor, self.default, is_actor=True)
        self.judge_jsonld(item, actor, "actor", record, top_level=True)
        judge_headers(item, got.headers, record)

        for key, kind in (("icon", "avatar"), ("image", "header")):
            url = _first_url(actor.get(key))
            if url:
                self.queue_media(url, kind, record, xmp_required=False)
        if isinstance(actor.get("url"), str):
            await self.page(actor["url"], record, collect_images=False)

        await self.collection("outbox", actor.get("outbox"), record, paged=True)
        await self.collection("featured", actor.get("featured"), record, paged=False)
        await self.media_items()
        await self.site_files(got.url, actor, record)

    async def collection(self, name: str, url: Any, record: ConsentRecord, *, paged: bool) -> None:
        if not isinstance(url, str):
            return
        item, doc, got = await self.json_doc("collection", url)
        item.kind = name
        if doc is None or got is None:
            return
        stated = stated_record(doc, record)
        self.judge_jsonld(item, doc, "collection", stated, top_level=True)
        judge_headers(item, got.headers, stated)
        await self.objects(doc, stated)
        first = doc.get("first") if paged else None
        if isinstance(first, Mapping) and not isinstance(first.get("id"), str):  # an embedded first page
            await self.objects(first, record)
            first = first.get("next")
        page_url = _first_id(first)
        pages = 0
        while isinstance(page_url, str) and page_url:
            if pages >= self.limits.max_pages:
                self.report.incomplete.append(f"{name}: stopped after {pages} page(s) (max_pages)")
                break
            pages += 1
            page_item, page, page_got = await self.json_doc("collection", page_url)
            page_item.kind = f"{name} page"
            if page is None or page_got is None:
                break
            page_record = stated_record(page, record)
            self.judge_jsonld(page_item, page, "collection", page_record, top_level=True)
            judge_headers(page_item, page_got.headers, page_record)
            await self.objects(page, record)
            page_url = _first_id(page.get("next"))

    async def objects(self, collection: Mapping[str, Any], record: ConsentRecord) -> None:
        entries = collection.get("orderedItems", collection.get("items")) or []
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, Mapping) and entry.get("type") in ("Create", "Update"):
                entry = entry.get("object")
            elif isinstance(entry, Mapping) and entry.get("type") in ("Announce", "Like", "Delete", "Undo"):
                continue  # someone else's object, or no object at all
            obj_id = entry.get("id") if isinstance(entry, Mapping) else entry
            if not isinstance(obj_id, str) or obj_id in self.objects_seen:
                continue
            if len(self.objects_seen) >= self.limits.max_items:
                note = f"objects: stopped after {self.limits.max_items} (max_items)"
                if note not in self.report.incomplete:
                    self.report.incomplete.append(note)
                return
            self.objects_seen.add(obj_id)
            await self.object(obj_id, entry if isinstance(entry, Mapping) else None, record)

    async def object(self, obj_id: str, embedded: Mapping[str, Any] | None, actor_record: ConsentRecord) -> None:
        item, doc, got = await self.json_doc("object", obj_id)
        if doc is None and embedded is not None:
            doc = dict(embedded)
            item.error = f"{item.error}; audited the embedded copy" if item.error else None
        if doc is None:
            return
        record = stated_record(doc, actor_record)
        self.judge_jsonld(item, doc, "object", record, top_level=got is not None and got.status == 200)
        if got is not None and got.status == 200:
            judge_headers(item, got.headers, record)
        attachments = doc.get("attachment") or []
        for n, attachment in enumerate(attachments if isinstance(attachments, list) else [attachments]):
            if n >= MAX_ATTACHMENTS or not isinstance(attachment, Mapping):
                continue
            url = _first_url(attachment) or f"{obj_id}#attachment-{n + 1}"
            att_item = self.item("attachment", url)
            att_item.ours = self.ours(obj_id)
            att_record = stated_record(attachment, record)
            self.judge_jsonld(att_item, attachment, "attachment", att_record, top_level=False)
            if _first_url(attachment):
                self.queue_media(url, "media", att_record, xmp_required=True, expect=attachment)
        page = _first_url(doc.get("url"))
        if page and page != obj_id:
            await self.page(page, record, collect_images=True)

    async def page(self, url: str, record: ConsentRecord, *, collect_images: bool) -> None:
        item = self.item("page", url, record)
        try:
            got = await self.fetch.get(url, accept=ACCEPT_HTML)
        except FetchFailed as exc:
            item.error = str(exc)
            return
        if self.refused(item, got):
            return
        if got.status != 200 or "html" not in got.content_type:
            item.error = f"HTTP {got.status} {got.content_type}"
            return
        judge_headers(item, got.headers, record)
        head = parse_html(got.body)
        judge_robots(item, "html", "meta robots", head.values("robots"), record)
        tdm = head.values("tdm-reservation")
        judge_tdm(item, "html", "meta tdm-reservation", tdm[0] if tdm else None, record)
        policy = head.values("tdm-policy")
        item.add("html", "meta tdm-policy", PRESENT if policy else OPTIONAL, policy[0] if policy else "")
        licence = [href for rels, href in head.links if "license" in rels]
        judge_licence(item, "html", "link rel=license", licence[0] if licence else None, record)
        if collect_images:
            for src in head.images:
                self.queue_media(urljoin(got.url, src), "media", record, xmp_required=True)

    # --- media

    def queue_media(self, url: str, kind: str, record: ConsentRecord, *, xmp_required: bool,
                    expect: Mapping[str, Any] | None = None) -> None:
        if url in self.media or not url.startswith(("http://", "https://")):
            return
        if len(self.media) >= self.limits.max_media:
            note = f"media: stopped after {self.limits.max_media} URLs (max_media)"
            if note not in self.report.incomplete:
                self.report.incomplete.append(note)
            return
        self.media[url] = _Media(url, kind, record, xmp_required, expect or {})
        if kind == "media":
            self.media_paths.append(urlsplit(url).path)

    async def media_items(self) -> None:
        for media in list(self.media.values()):
            await self.media_item(media)

    async def media_item(self, media: _Media) -> None:
        item = self.item(media.kind, media.url, media.record)
        try:
            got = await self.fetch.get(media.url, accept="*/*", max_bytes=self.limits.max_media_bytes, cut=True)
        except FetchFailed as exc:
            item.error = str(exc)
            return
        if self.refused(item, got):
            return
        if got.status != 200:
            item.error = f"HTTP {got.status}"
            return
        judge_headers(item, got.headers, media.record)
        on_get = consent_header_names(got.headers)
        if on_get:
            try:
                head = await self.fetch.get(media.url, accept="*/*", method="HEAD")
            except FetchFailed as exc:
                item.add("header", "on HEAD", INVALID, str(exc))
            else:
                lacking = sorted(on_get - consent_header_names(head.headers))
                if head.status >= 400:
                    item.add("header", "on HEAD", CONFLICT, f"HEAD answered {head.status}")
                else:
                    item.add("header", "on HEAD", CONFLICT if lacking else PRESENT,
                             f"lacks {', '.join(lacking)}" if lacking else "same consent headers")
        etag = got.headers.get("etag")
        if etag and on_get:
            try:
                cached = await self.fetch.get(media.url, accept="*/*", headers={"If-None-Match": etag}, cut=True,
                                              max_bytes=0)
            except FetchFailed as exc:
                item.add("header", "on 304", INVALID, str(exc))
            else:
                if cached.status == 304:
                    lacking = sorted(on_get - consent_header_names(cached.headers))
                    item.add("header", "on 304", CONFLICT if lacking else PRESENT,
                             f"lacks {', '.join(lacking)}" if lacking else "same consent headers")
        self.judge_xmp(item, got, media)

    def judge_xmp(self, item: AuditItem, got: Fetched, media: _Media) -> None:
        packet = xmp_from_bytes(got.body)
        reading = read_xmp(packet, max_bytes=MAX_XMP_BYTES)
        missing_status = MISSING if media.xmp_required else OPTIONAL
        if reading.status in ("empty",):
            note = " (file cut at the size cap)" if got.truncated else ""
            item.add("xmp", "packet", missing_status, f"no XMP{note}")
            return
        if reading.status != "ok":
            item.add("xmp", "packet", INVALID if media.xmp_required else OPTIONAL, reading.detail)
            return
        record = media.record
        for key in XMP_REQUIRED:
            value = reading.first(key)
            if key == "plus:DataMining":
                if value is None:
                    item.add("xmp", key, missing_status)
                    continue
                expected = media.expect.get("dataMining")
                judge_data_mining(item, "xmp", key, value, record)
                if isinstance(expected, str) and item.checks[-1].status == PRESENT and value != expected:
                    item.checks[-1] = Check("xmp", key, PRESENT, f"{value} (JSON-LD says {expected})"[:160])
            elif value is None:
                item.add("xmp", key, missing_status)
            else:
                item.add("xmp", key, PRESENT, value)
        licence = reading.first("cc:license")
        if media.xmp_required or licence:
            judge_licence(item, "xmp", "cc:license", licence, record)
        signals = signals_from_xmp(packet)
        if record.restricts_training and signals.ai_training == "allowed":
            item.add("xmp", "consistency", CONFLICT, "the file allows AI training; the record refuses it")

    # --- site files

    async def site_files(self, actor_url: str, actor: Mapping[str, Any], record: ConsentRecord) -> None:
        parts = urlsplit(actor_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        profile = _first_url(actor.get("url")) or actor_url
        artist_path = urlsplit(profile).path.rstrip("/") + "/"
        media_path = self.media_paths[0] if self.media_paths else None
        await self.robots(origin, artist_path, media_path, record)
        await self.tdmrep(origin, artist_path, record)
        await self.ai_txt(origin, media_path or artist_path, record)
        policy = actor.get("tdmPolicy")
        await self.policy(policy if isinstance(policy, str) else None, record)

    async def text_file(self, kind: str, url: str, record: ConsentRecord) -> tuple[AuditItem, str | None]:
        item = self.item(kind, url, record)
        try:
            got = await self.fetch.get(url, accept="text/plain, application/json, */*")
        except FetchFailed as exc:
            item.error = str(exc)
            return item, None
        if got.status != 200:
            item.add("file", "file", MISSING, f"HTTP {got.status}")
            return item, None
        item.add("file", "file", PRESENT, f"{len(got.body)} bytes, {got.content_type or 'no content type'}")
        return item, got.body.decode("utf-8", "replace")

    async def robots(self, origin: str, artist_path: str, media_path: str | None, record: ConsentRecord) -> None:
        item, text = await self.text_file("robots.txt", f"{origin}/robots.txt", record)
        if text is None:
            return
        groups = parse_robots(text)
        known = {t.lower() for t in ai_crawler_tokens()}
        named = sorted({a for g in groups for a in g.agents if a in known})
        item.add("file", "AI user-agents", PRESENT if named else MISSING, f"{len(named)} AI crawler(s) named")
        for path in [artist_path] + ([media_path] if media_path else []):
            allowed = robots_allows(robots_group(groups, SAMPLE_CRAWLER), path)
            if record.refuses_ai_crawlers and allowed:
                item.add("file", f"{SAMPLE_CRAWLER} {path}", CONFLICT, "allowed, but the artist refuses AI crawlers")
            else:
                item.add("file", f"{SAMPLE_CRAWLER} {path}", PRESENT, "allowed" if allowed else "disallowed")
        usage = content_usage_for(robots_group(groups, "*"), artist_path)
        judge_usage(item, "file", "Content-Usage", usage, record)
        signal = [v for g in groups for k, v in g.extras if k == "content-signal"]
        item.add("file", "Content-Signal", PRESENT if signal else MISSING, signal[0] if signal else "")

    async def tdmrep(self, origin: str, artist_path: str, record: ConsentRecord) -> None:
        item, text = await self.text_file("tdmrep.json", f"{origin}/.well-known/tdmrep.json", record)
        if text is None:
            return
        try:
            rules = orjson.loads(text)
        except orjson.JSONDecodeError:
            item.add("file", "rules", INVALID, "not JSON")
            return
        if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
            item.add("file", "rules", INVALID, "not a JSON array of rules")
            return
        item.add("file", "rules", PRESENT, f"{len(rules)} rule(s)")
        matching = [r for r in rules if isinstance(r.get("location"), str)
                    and _pattern(r["location"].rstrip("*") or "/").match(artist_path)]
        matching.sort(key=lambda r: -len(r["location"]))
        judge_tdm(item, "file", f"rule for {artist_path}",
                  matching[0].get("tdm-reservation") if matching else None, record)

    async def ai_txt(self, origin: str, path: str, record: ConsentRecord) -> None:
        item, text = await self.text_file("ai.txt", f"{origin}/ai.txt", record)
        if text is None:
            return
        groups = robots_group(parse_robots(text), "*")
        if not groups:
            item.add("file", "User-Agent: *", MISSING)
            return
        allowed = robots_allows(groups, path)
        if record.restricts_training and allowed:
            item.add("file", f"datasets {path}", CONFLICT, "allowed, but the artist refuses AI training")
        else:
            item.add("file", f"datasets {path}", PRESENT, "allowed" if allowed else "disallowed")

    async def policy(self, url: str | None, record: ConsentRecord) -> None:
        if not url:
            if record.tdm_reservation:
                item = self.item("tdm policy", "(not advertised)", record)
                item.ours = bool(self.report.actor and self.ours(self.report.actor))
                item.add("file", "tdmPolicy", MISSING, "rights are reserved but no policy URL is given")
            return
        item = self.item("tdm policy", url, record)
        try:
            got = await self.fetch.get(url, accept="application/ld+json, application/json")
        except FetchFailed as exc:
            item.error = str(exc)
            return
        if got.status != 200:
            item.add("file", "file", MISSING, f"HTTP {got.status}")
            return
        item.add("file", "content type", PRESENT if got.content_type in ("application/ld+json", "application/json")
                 else INVALID, got.content_type)
        try:
            doc = load_json(got.body, max_bytes=self.limits.max_bytes, max_depth=32)
        except ParseError as exc:
            item.add("file", "ODRL policy", INVALID, str(exc))
            return
        context = doc.get("@context")
        contexts = context if isinstance(context, list) else [context]
        item.add("file", "ODRL @context", PRESENT if any(isinstance(c, str) and "odrl" in c for c in contexts)
                 else MISSING, context)
        permissions = doc.get("permission")
        if not isinstance(permissions, list) or not permissions:
            item.add("file", "permission", MISSING)
            return
        duties = {d.get("action") for p in permissions if isinstance(p, Mapping)
                  for d in (p.get("duty") or []) if isinstance(d, Mapping)}
        if record.tdm_reservation and "obtainConsent" not in duties:
            item.add("file", "permission", CONFLICT, "mining is permitted without obtaining consent")
        else:
            item.add("file", "permission", PRESENT, permissions)


def _first_id(value: Any) -> str | None:
    """A collection page link: a URL string or an object with an ``id``."""
    if isinstance(value, Mapping):
        value = value.get("id") or value.get("href")
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _first_url(value: Any) -> str | None:
    """An http(s) URL out of a string, a Link/Image object (``href``/``url``) or a list of them."""
    if isinstance(value, list):
        for entry in value:
            if url := _first_url(entry):
                return url
        return None
    if isinstance(value, Mapping):
        return _first_url(value.get("href") or value.get("url"))
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    return None


async def audit(
    target: str,
    *,
    our_hosts: Iterable[str] = (),
    our_scheme: str = "https",
    default: ConsentRecord | None = None,
    allow_private: bool = False,
    limits: AuditLimits | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    user_agent: str | None = None,
) -> AuditReport:
    """Crawl ``target`` (an actor URL, ``user@domain``, or a bare local username) and report every surface.

    ``our_hosts``: the hosts whose items must carry every signal (the instance's domain). ``default``: the record
    that fills what an actor does not state (the instance policy; default: the artist-first ``ConsentRecord()``).
    ``transport``: for tests (an in-process network). Never raises for what the remote side does.
    """
    limits = limits or AuditLimits()
    report = AuditReport(target)
    pinned = None if transport is not None else http_transport(allow_private=allow_private)
    client = httpx.AsyncClient(
        transport=transport or pinned, follow_redirects=False, timeout=httpx.Timeout(limits.timeout),
        headers={"User-Agent": user_agent or f"fediverse-consent-audit/{__version__}"},
    )
    fetcher = Fetcher(client, limits, allow_private=allow_private, resolve_first=pinned is None)
    auditor = Auditor(fetcher, limits, our_hosts=our_hosts, our_scheme=our_scheme, default=default or ConsentRecord(),
                      report=report, custom_user_agent=user_agent is not None)
    try:
        async with asyncio.timeout(limits.deadline):
            await auditor.audit(target)
    except TimeoutError:
        report.incomplete.append(f"stopped at the {limits.deadline:g}s deadline")
    finally:
        await client.aclose()
    return report

