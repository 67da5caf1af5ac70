"""The crawl of one actor: its document, outbox (collection and pages), featured collection, every object listed
there (fetched by id, too), every attachment, and the HTML pages; then its media and its site files."""

from __future__ import annotations

import asyncio
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urljoin

import httpx

from fediverse import __version__
from fediverse.activitypub.jsonsafe import load_json
from fediverse.activitypub.parse import parse_webfinger
from fediverse.activitypub.vocab import ParseError
from fediverse.activitypub.webfinger import parse_resource
from fediverse.consent import ConsentRecord
from fediverse.federation.bounded_get import Fetched
from fediverse.federation.pinning import http_transport
from fediverse.services.consent_audit.context import AuditContext, first_id, first_url
from fediverse.services.consent_audit.fetch import Fetcher, FetchFailed
from fediverse.services.consent_audit.judge import (
    judge_headers, judge_jsonld, judge_licence, judge_robots, judge_tdm, stated_record,
)
from fediverse.services.consent_audit.media import MediaAudit
from fediverse.services.consent_audit.readers import parse_html
from fediverse.services.consent_audit.report import OPTIONAL, PRESENT, AuditError, AuditItem, AuditLimits, AuditReport
from fediverse.services.consent_audit.site_files import SiteFiles

ACCEPT_AP = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9"
ACCEPT_JRD = "application/jrd+json, application/json"
MAX_ATTACHMENTS = 20
INTERACTIONS = ("likes", "shares", "replies")


class Auditor(AuditContext):
    """Walks the actor's documents; media and site files are queued to and audited by their own parts."""

    def __init__(self, fetcher: Fetcher, limits: AuditLimits, *, our_hosts: Iterable[str], our_scheme: str,
                 default: ConsentRecord, report: AuditReport, custom_user_agent: bool = False) -> None:
        super().__init__(fetcher, limits, our_hosts=our_hosts, our_scheme=our_scheme, default=default, report=report,
                         custom_user_agent=custom_user_agent)
        self.objects_seen: set[str] = set()
        self.media = MediaAudit(self)

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

    # --- the crawl

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
        judge_jsonld(item, actor, "actor", record, top_level=True)
        judge_headers(item, got.headers, record)

        for key, kind in (("icon", "avatar"), ("image", "header")):
            url = first_url(actor.get(key))
            if url:
                self.media.queue(url, kind, record, xmp_required=False)
        if isinstance(actor.get("url"), str):
            await self.page(actor["url"], record, collect_images=False)

        await self.collection("outbox", actor.get("outbox"), record, paged=True)
        await self.collection("featured", actor.get("featured"), record, paged=False)
        for name in ("followers", "following"):  # their items are actors, not the artist's: only the terms count
            await self.collection(name, actor.get(name), record, paged=True, with_objects=False)
        await self.media.run()
        await SiteFiles(self).audit(got.url, actor, record, self.media.paths[0] if self.media.paths else None)

    async def collection(self, name: str, url: Any, record: ConsentRecord, *, paged: bool,
                         with_objects: bool = True) -> None:
        if not isinstance(url, str):
            return
        doc, stated = await self.collection_doc(name, url, record)
        if doc is None:
            return
        if with_objects:
            await self.objects(doc, stated)
        else:
            paged = paged and bool(doc.get("totalItems"))  # an empty collection's first page says nothing more
        first = doc.get("first") if paged else None
        if isinstance(first, Mapping) and not isinstance(first.get("id"), str):  # an embedded first page
            await self.objects(first, record)
            first = first.get("next")
        page_url = first_id(first)
        pages = 0
        while isinstance(page_url, str) and page_url:
            if pages >= self.limits.max_pages:
                self.incomplete(f"{name}: stopped after {pages} page(s) (max_pages)")
                break
            pages += 1
            page, _stated = await self.collection_doc(f"{name} page", page_url, record)
            if page is None:
                break
            if with_objects:
                await self.objects(page, record)
            page_url = first_id(page.get("next"))

    async def collection_doc(self, kind: str, url: str, parent: ConsentRecord
                             ) -> tuple[dict[str, Any] | None, ConsentRecord]:
        """A collection or one of its pages, judged against the record it states: (document, that record)."""
        item, doc, got = await self.json_doc("collection", url)
        item.kind = kind
        if doc is None or got is None:
            return None, parent
        stated = stated_record(doc, parent)
        judge_jsonld(item, doc, "collection", stated, top_level=True)
        judge_headers(item, got.headers, stated)
        return doc, stated

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
                self.incomplete(f"objects: stopped after {self.limits.max_items} (max_items)")
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
        judge_jsonld(item, doc, "object", record, top_level=got is not None and got.status == 200)
        if got is not None and got.status == 200:
            judge_headers(item, got.headers, record)
        attachments = doc.get("attachment") or []
        for n, attachment in enumerate(attachments if isinstance(attachments, list) else [attachments]):
            if n >= MAX_ATTACHMENTS or not isinstance(attachment, Mapping):
                continue
            url = first_url(attachment) or f"{obj_id}#attachment-{n + 1}"
            att_item = self.item("attachment", url)
            att_item.ours = self.ours(obj_id)
            att_record = stated_record(attachment, record)
            judge_jsonld(att_item, attachment, "attachment", att_record, top_level=False)
            if first_url(attachment):
                self.media.queue(url, "media", att_record, xmp_required=True, expect=attachment)
        for name in INTERACTIONS:  # likes, shares, replies (Mastodon 4.3+): collections carry the terms too
            inlined = doc.get(name)
            url = first_id(inlined)
            if url and self.ours(url) and url != obj_id:
                await self.collection_doc(name, url, record)
        page = first_url(doc.get("url"))
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
                self.media.queue(urljoin(got.url, src), "media", record, xmp_required=True)


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
    as_uploaded: Iterable[str] = (),
) -> AuditReport:
    """Crawl ``target`` (an actor URL, ``user@domain``, or a bare local username) and report every surface.

    ``our_hosts``: the hosts whose items must carry every signal (the instance's domain). ``default``: the record
    that fills what an actor does not state (the instance policy; default: the artist-first ``ConsentRecord()``).
    ``transport``: for tests (an in-process network). ``as_uploaded``: URL paths of our renditions that are the
    artist's own file (``consent_audit.as_uploaded_paths``), reported as such. Never raises for what the remote
    side does.
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
    auditor.as_uploaded = frozenset(as_uploaded)
    try:
        async with asyncio.timeout(limits.deadline):
            await auditor.audit(target)
    except TimeoutError:
        report.incomplete.append(f"stopped at the {limits.deadline:g}s deadline")
    finally:
        await client.aclose()
    return report

